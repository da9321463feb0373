// The only translation unit of the generator that includes libtorch (layout in generator_net.hpp).
#include "cadenza/ml/generator_net.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>

#include "cadenza/core/atomic_file.hpp"
#include "cadenza/core/error.hpp"

namespace cadenza::ml {
namespace {

namespace F = torch::nn::functional;

struct Block : torch::nn::Module {
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr};
  Block(int d, int ff) {
    ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    qkv = register_module("qkv", torch::nn::Linear(d, 3 * d));
    proj = register_module("proj", torch::nn::Linear(d, d));
    ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    fc1 = register_module("fc1", torch::nn::Linear(d, ff));
    fc2 = register_module("fc2", torch::nn::Linear(ff, d));
  }
};

// Keys and values of every layer: [1, heads, max_len, d_head] each.
struct Cache {
  std::vector<torch::Tensor> k, v;
  int64_t length = 0;
};

struct Net : torch::nn::Module {
  GeneratorConfig cfg;
  std::vector<torch::nn::Embedding> fields;
  torch::nn::Embedding pos{nullptr};
  std::vector<std::shared_ptr<Block>> blocks;
  torch::nn::LayerNorm ln_f{nullptr};
  std::vector<torch::nn::Embedding> cond;  // cond[j]: head j's field, read by heads > j
  std::vector<torch::nn::Linear> mid, out;

  explicit Net(const GeneratorConfig& c) : cfg(c) {
    const int d = c.d_model;
    for (size_t f = 0; f < c.field_sizes.size(); ++f)
      fields.push_back(register_module("field" + std::to_string(f), torch::nn::Embedding(c.field_sizes[f], d)));
    pos = register_module("pos", torch::nn::Embedding(c.max_len, d));
    for (int l = 0; l < c.layers; ++l)
      blocks.push_back(register_module("block" + std::to_string(l), std::make_shared<Block>(d, c.ff)));
    ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    for (size_t h = 0; h < c.heads.size(); ++h) {
      const int v = c.field_sizes[size_t(c.heads[h])];
      if (h + 1 < c.heads.size())
        cond.push_back(register_module("cond" + std::to_string(h), torch::nn::Embedding(v, d)));
      mid.push_back(register_module("mid" + std::to_string(h), torch::nn::Linear(d, d)));
      out.push_back(register_module("out" + std::to_string(h), torch::nn::Linear(d, v)));
    }
  }

  void init(uint64_t seed) {
    torch::NoGradGuard no_grad;
    auto gen = at::detail::createCPUGenerator(seed);
    const double scaled = 0.02 / std::sqrt(2.0 * cfg.layers);
    for (auto& p : named_parameters()) {
      const std::string& name = p.key();
      auto& t = p.value();
      const bool is_ln = name.find("ln") != std::string::npos;
      if (is_ln) {
        t.fill_(name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0 ? 1.0 : 0.0);
      } else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) {
        t.zero_();
      } else {
        const bool residual_out = name.find(".proj.") != std::string::npos || name.find(".fc2.") != std::string::npos;
        t.normal_(0.0, residual_out ? scaled : 0.02, gen);
      }
    }
  }

  torch::Tensor drop(const torch::Tensor& x, bool train) const {
    return train && cfg.dropout > 0 ? F::dropout(x, F::DropoutFuncOptions().p(cfg.dropout).training(true)) : x;
  }

  // x: [B, T, F] int64 -> hidden [B, T, D]. With a cache, the tokens sit at positions cache->length ..
  // and their keys and values are appended to it.
  torch::Tensor hidden(const torch::Tensor& x, bool train, Cache* cache = nullptr) {
    const int64_t B = x.size(0), T = x.size(1), D = cfg.d_model, H = cfg.n_heads, dh = D / H;
    const int64_t t0 = cache ? cache->length : 0;
    auto positions = torch::arange(t0, t0 + T, torch::kLong);
    torch::Tensor h = pos(positions).unsqueeze(0);
    for (size_t f = 0; f < fields.size(); ++f) h = h + fields[f](x.select(2, int64_t(f)));
    h = drop(h, train);
    const int64_t S = t0 + T;
    torch::Tensor mask;  // true where a query may not see a key
    if (T > 1) mask = torch::ones({T, S}, torch::kBool).triu(t0 + 1);
    const double scale = 1.0 / std::sqrt(double(dh));
    for (size_t l = 0; l < blocks.size(); ++l) {
      auto& b = *blocks[l];
      auto qkv = b.qkv(b.ln1(h)).view({B, T, 3, H, dh}).permute({2, 0, 3, 1, 4});  // [3, B, H, T, dh]
      auto q = qkv[0], k = qkv[1], v = qkv[2];
      if (cache) {
        cache->k[l].narrow(2, t0, T).copy_(k);
        cache->v[l].narrow(2, t0, T).copy_(v);
        k = cache->k[l].narrow(2, 0, S);
        v = cache->v[l].narrow(2, 0, S);
      }
      auto att = torch::matmul(q, k.transpose(-2, -1)) * scale;  // [B, H, T, S]
      if (mask.defined()) att = att.masked_fill(mask, -std::numeric_limits<float>::infinity());
      att = drop(torch::softmax(att, -1), train);
      auto y = torch::matmul(att, v).transpose(1, 2).reshape({B, T, D});
      h = h + drop(b.proj(y), train);
      h = h + drop(b.fc2(F::gelu(b.fc1(b.ln2(h)))), train);
    }
    if (cache) cache->length = S;
    return ln_f(h);
  }

  // Head `k`'s logits from hidden states z (already holding the conditioning embeddings).
  torch::Tensor head(size_t k, const torch::Tensor& z) { return out[k](F::gelu(mid[k](z))); }

  // Losses of a batch: x [B, T, F], mask [B, T, H] (uint8).
  std::vector<std::pair<torch::Tensor, torch::Tensor>> losses(const torch::Tensor& x, const torch::Tensor& mask,
                                                              bool train) {
    auto h = hidden(x, train);
    const int64_t T = x.size(1);
    auto hs = h.narrow(1, 0, T - 1);
    auto next = x.narrow(1, 1, T - 1);
    auto m = mask.narrow(1, 1, T - 1).to(torch::kFloat32);
    std::vector<std::pair<torch::Tensor, torch::Tensor>> result;
    torch::Tensor z = hs;
    for (size_t k = 0; k < out.size(); ++k) {
      if (k > 0) z = z + cond[k - 1](next.select(2, cfg.heads[k - 1]));
      auto logits = head(k, z);
      auto target = next.select(2, cfg.heads[k]);
      auto nll = F::cross_entropy(logits.reshape({-1, logits.size(-1)}), target.reshape({-1}),
                                  F::CrossEntropyFuncOptions().reduction(torch::kNone));
      auto mk = m.select(2, int64_t(k)).reshape({-1});
      result.emplace_back((nll * mk).sum(), mk.sum());
    }
    return result;
  }
};

torch::Tensor batch_tokens(const GeneratorBatch& b, size_t n_fields) {
  if (b.batch < 1 || b.length < 2 || b.tokens.size() != size_t(b.batch) * size_t(b.length) * n_fields)
    throw Error{ErrorKind::BadRequest, "generator: a batch of " + std::to_string(b.batch) + " x " +
                                           std::to_string(b.length) + " tokens does not hold " +
                                           std::to_string(b.tokens.size()) + " field values"};
  return torch::from_blob(const_cast<int32_t*>(b.tokens.data()), {b.batch, b.length, int64_t(n_fields)}, torch::kInt32)
      .to(torch::kLong);
}

void check_values(const torch::Tensor& x, const GeneratorConfig& c) {
  for (size_t f = 0; f < c.field_sizes.size(); ++f) {
    auto col = x.select(-1, int64_t(f));
    if (col.numel() && (col.min().item<int64_t>() < 0 || col.max().item<int64_t>() >= c.field_sizes[f]))
      throw Error{ErrorKind::BadRequest, "generator: field " + std::to_string(f) + " outside 0.." +
                                             std::to_string(c.field_sizes[f] - 1)};
  }
}

void validate(const GeneratorConfig& c) {
  std::string why;
  if (c.field_sizes.empty()) why = "no fields";
  for (int s : c.field_sizes)
    if (s < 1) why = "a field of size < 1";
  if (c.heads.empty()) why = "no heads";
  for (int h : c.heads)
    if (h < 0 || size_t(h) >= c.field_sizes.size()) why = "a head names no field";
  if (c.d_model < 1 || c.n_heads < 1 || c.d_model % c.n_heads != 0) why = "d_model must be a multiple of n_heads";
  if (c.layers < 1 || c.ff < 1 || c.max_len < 2) why = "layers, ff >= 1 and max_len >= 2";
  if (!(c.dropout >= 0 && c.dropout < 1)) why = "dropout in [0, 1)";
  if (!why.empty()) throw Error{ErrorKind::BadRequest, "generator config: " + why};
}

HeadLosses to_losses(const std::vector<std::pair<torch::Tensor, torch::Tensor>>& l) {
  HeadLosses out;
  for (const auto& [sum, count] : l) {
    out.sum.push_back(sum.item<double>());
    out.count.push_back(int64_t(std::llround(count.item<double>())));
  }
  return out;
}

constexpr char kMagic[8] = {'C', 'D', 'Z', 'G', 'E', 'N', '0', '1'};

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t n_fields;
  uint32_t n_out;
  int32_t d_model, layers, n_heads, ff, max_len;
  double dropout;
  uint32_t metadata_bytes;
  uint32_t n_params;
};
static_assert(sizeof(Header) == 56);

uint64_t fnv1a(const char* data, size_t n, uint64_t h = 14695981039346656037ull) {
  for (size_t i = 0; i < n; ++i) {
    h ^= uint8_t(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

template <class T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

double HeadLosses::total_mean() const {
  double t = 0;
  for (size_t h = 0; h < sum.size(); ++h) t += mean(h);
  return t;
}

struct GeneratorNet::Impl {
  std::shared_ptr<Net> net;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::string metadata;
};

GeneratorNet::GeneratorNet(const GeneratorConfig& config, uint64_t seed) : impl_(std::make_unique<Impl>()) {
  validate(config);
  impl_->net = std::make_shared<Net>(config);
  impl_->net->init(seed);
}

GeneratorNet::~GeneratorNet() = default;
GeneratorNet::GeneratorNet(GeneratorNet&&) noexcept = default;
GeneratorNet& GeneratorNet::operator=(GeneratorNet&&) noexcept = default;

const GeneratorConfig& GeneratorNet::config() const { return impl_->net->cfg; }

int64_t GeneratorNet::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : impl_->net->parameters()) n += p.numel();
  return n;
}

const std::string& GeneratorNet::metadata() const { return impl_->metadata; }
void GeneratorNet::set_metadata(std::string metadata) { impl_->metadata = std::move(metadata); }

HeadLosses GeneratorNet::train_step(const GeneratorBatch& batch, double lr, const TrainOptions& options) {
  auto& net = *impl_->net;
  const auto& c = net.cfg;
  auto x = batch_tokens(batch, c.field_sizes.size());
  check_values(x, c);
  if (batch.loss_mask.size() != size_t(batch.batch) * size_t(batch.length) * c.heads.size())
    throw Error{ErrorKind::BadRequest, "generator: the loss mask does not match the batch"};
  auto mask = torch::from_blob(const_cast<uint8_t*>(batch.loss_mask.data()),
                               {batch.batch, batch.length, int64_t(c.heads.size())}, torch::kUInt8);
  if (!impl_->optimizer) {
    std::vector<torch::Tensor> decay, no_decay;
    for (auto& p : net.named_parameters()) {
      const bool is_matrix = p.value().dim() == 2 && p.key().find("weight") != std::string::npos &&
                             p.key().find("field") != 0 && p.key().find("pos") != 0 && p.key().find("cond") != 0;
      (is_matrix ? decay : no_decay).push_back(p.value());
    }
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                   torch::optim::AdamWOptions(lr)
                                       .betas({options.beta1, options.beta2})
                                       .weight_decay(options.weight_decay)));
    groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                      torch::optim::AdamWOptions(lr).betas({options.beta1, options.beta2}).weight_decay(0)));
    impl_->optimizer = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(lr));
  }
  for (auto& g : impl_->optimizer->param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
  impl_->optimizer->zero_grad();
  auto l = net.losses(x, mask, true);
  torch::Tensor loss = torch::zeros({});
  for (auto& [sum, count] : l) loss = loss + sum / count.clamp_min(1.0);
  loss.backward();
  if (options.clip_norm > 0) torch::nn::utils::clip_grad_norm_(net.parameters(), options.clip_norm);
  impl_->optimizer->step();
  for (auto& p : l) {
    p.first = p.first.detach();
    p.second = p.second.detach();
  }
  return to_losses(l);
}

HeadLosses GeneratorNet::evaluate(const GeneratorBatch& batch) const {
  torch::NoGradGuard no_grad;
  auto& net = *impl_->net;
  const auto& c = net.cfg;
  auto x = batch_tokens(batch, c.field_sizes.size());
  check_values(x, c);
  if (batch.loss_mask.size() != size_t(batch.batch) * size_t(batch.length) * c.heads.size())
    throw Error{ErrorKind::BadRequest, "generator: the loss mask does not match the batch"};
  auto mask = torch::from_blob(const_cast<uint8_t*>(batch.loss_mask.data()),
                               {batch.batch, batch.length, int64_t(c.heads.size())}, torch::kUInt8);
  return to_losses(net.losses(x, mask, false));
}

std::vector<std::vector<std::vector<float>>> GeneratorNet::forward_logits(std::span<const int32_t> tokens) const {
  torch::NoGradGuard no_grad;
  auto& net = *impl_->net;
  const auto& c = net.cfg;
  const int64_t nf = int64_t(c.field_sizes.size());
  const int64_t n = int64_t(tokens.size()) / nf;
  if (n < 1 || n > c.max_len || int64_t(tokens.size()) != n * nf)
    throw Error{ErrorKind::BadRequest, "generator: forward_logits takes 1..max_len whole tokens"};
  auto x = torch::from_blob(const_cast<int32_t*>(tokens.data()), {1, n, nf}, torch::kInt32).to(torch::kLong);
  check_values(x, c);
  auto h = net.hidden(x, false)[0];  // [n, D]
  // the next token's fields; zeros after the last
  auto next = torch::cat({x[0].narrow(0, 1, n - 1), torch::zeros({1, nf}, torch::kLong)});
  std::vector<std::vector<std::vector<float>>> out(size_t(n), std::vector<std::vector<float>>(c.heads.size()));
  torch::Tensor z = h;
  for (size_t k = 0; k < c.heads.size(); ++k) {
    if (k > 0) z = z + net.cond[k - 1](next.select(1, c.heads[k - 1]));
    auto logits = net.head(k, z).contiguous();
    for (int64_t t = 0; t < n; ++t) {
      auto row = logits[t];
      out[size_t(t)][k].assign(row.data_ptr<float>(), row.data_ptr<float>() + row.numel());
    }
  }
  return out;
}

void GeneratorNet::save(const std::filesystem::path& path) const {
  const auto& net = *impl_->net;
  const auto& c = net.cfg;
  const auto params = net.named_parameters();
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kFormatVersion;
  h.n_fields = uint32_t(c.field_sizes.size());
  h.n_out = uint32_t(c.heads.size());
  h.d_model = c.d_model;
  h.layers = c.layers;
  h.n_heads = c.n_heads;
  h.ff = c.ff;
  h.max_len = c.max_len;
  h.dropout = c.dropout;
  h.metadata_bytes = uint32_t(impl_->metadata.size());
  h.n_params = uint32_t(params.size());
  std::string out;
  put(out, h);
  for (int s : c.field_sizes) put(out, int32_t(s));
  for (int s : c.heads) put(out, int32_t(s));
  out += impl_->metadata;
  for (const auto& p : params) {
    put(out, uint32_t(p.key().size()));
    out += p.key();
    auto t = p.value().detach().contiguous().to(torch::kFloat32);
    put(out, uint32_t(t.dim()));
    for (int64_t d : t.sizes()) put(out, d);
    out.append(reinterpret_cast<const char*>(t.data_ptr<float>()), size_t(t.numel()) * sizeof(float));
  }
  put(out, fnv1a(out.data(), out.size()));
  write_file_atomically(path, out);
}

GeneratorNet GeneratorNet::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error{ErrorKind::Unavailable, "generator: cannot open model file " + path.string()};
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error{ErrorKind::Unavailable, "generator: cannot read model file " + path.string()};
  auto bad = [&](const std::string& why) {
    return Error{ErrorKind::Unprocessable, "generator: model file " + path.string() + ": " + why};
  };
  if (bytes.size() >= sizeof kMagic && std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw bad("not a generator model (bad magic)");
  if (bytes.size() < sizeof(Header) + sizeof(uint64_t)) throw bad("truncated (no complete header)");
  Header h{};
  std::memcpy(&h, bytes.data(), sizeof h);
  if (h.version != kFormatVersion)
    throw bad("format version " + std::to_string(h.version) + ", this build reads version " +
              std::to_string(kFormatVersion));
  uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + bytes.size() - sizeof sum, sizeof sum);
  if (fnv1a(bytes.data(), bytes.size() - sizeof sum) != sum) throw bad("checksum mismatch (corrupt or truncated file)");
  size_t at = sizeof h;
  const size_t end = bytes.size() - sizeof sum;
  auto take = [&](size_t n) {
    if (n > end - at) throw bad("truncated");
    const char* p = bytes.data() + at;
    at += n;
    return p;
  };
  auto take_i32 = [&] {
    int32_t v;
    std::memcpy(&v, take(4), 4);
    return v;
  };
  if (h.n_fields > 64 || h.n_out > 64) throw bad("inconsistent header");
  GeneratorConfig c;
  for (uint32_t i = 0; i < h.n_fields; ++i) c.field_sizes.push_back(take_i32());
  for (uint32_t i = 0; i < h.n_out; ++i) c.heads.push_back(take_i32());
  c.d_model = h.d_model;
  c.layers = h.layers;
  c.n_heads = h.n_heads;
  c.ff = h.ff;
  c.max_len = h.max_len;
  c.dropout = h.dropout;
  std::string metadata(take(h.metadata_bytes), h.metadata_bytes);
  std::optional<GeneratorNet> net;
  try {
    net.emplace(c);
  } catch (const Error& e) {
    throw bad(std::string("inconsistent header: ") + e.what());
  }
  net->set_metadata(std::move(metadata));
  auto params = net->impl_->net->named_parameters();
  if (h.n_params != params.size()) throw bad("holds " + std::to_string(h.n_params) + " tensors, the config " + std::to_string(params.size()));
  torch::NoGradGuard no_grad;
  for (auto& p : params) {
    uint32_t name_len;
    std::memcpy(&name_len, take(4), 4);
    std::string name(take(name_len), name_len);
    if (name != p.key()) throw bad("tensor " + name + " where " + p.key() + " was expected");
    uint32_t dims;
    std::memcpy(&dims, take(4), 4);
    std::vector<int64_t> shape(dims);
    for (auto& d : shape) std::memcpy(&d, take(8), 8);
    if (shape != p.value().sizes().vec()) throw bad("tensor " + name + " has another shape");
    const size_t n = size_t(p.value().numel());
    const char* data = take(n * sizeof(float));
    p.value().copy_(torch::from_blob(const_cast<char*>(data), shape, torch::kFloat32));
  }
  if (at != end) throw bad("trailing bytes before the checksum");
  return std::move(*net);
}

struct GeneratorNet::Decoder::Impl {
  const GeneratorNet* owner;
  Cache cache;
  torch::Tensor last;  // hidden state of the last token read: [D]
};

GeneratorNet::Decoder::Decoder(const GeneratorNet& net) : impl_(std::make_unique<Impl>()) {
  impl_->owner = &net;
  const auto& c = net.config();
  const int64_t dh = c.d_model / c.n_heads;
  for (int l = 0; l < c.layers; ++l) {
    impl_->cache.k.push_back(torch::zeros({1, c.n_heads, c.max_len, dh}));
    impl_->cache.v.push_back(torch::zeros({1, c.n_heads, c.max_len, dh}));
  }
}

GeneratorNet::Decoder::~Decoder() = default;
GeneratorNet::Decoder::Decoder(Decoder&&) noexcept = default;
GeneratorNet::Decoder& GeneratorNet::Decoder::operator=(Decoder&&) noexcept = default;

void GeneratorNet::Decoder::begin(std::span<const int32_t> prefix) {
  torch::NoGradGuard no_grad;
  auto& net = *impl_->owner->impl_->net;
  const int64_t nf = int64_t(net.cfg.field_sizes.size());
  const int64_t n = int64_t(prefix.size()) / nf;
  if (n < 1 || n > net.cfg.max_len || int64_t(prefix.size()) != n * nf)
    throw Error{ErrorKind::BadRequest, "generator: a prefix holds 1..max_len whole tokens"};
  auto x = torch::from_blob(const_cast<int32_t*>(prefix.data()), {1, n, nf}, torch::kInt32).to(torch::kLong);
  check_values(x, net.cfg);
  impl_->cache.length = 0;
  impl_->last = net.hidden(x, false, &impl_->cache)[0][n - 1];
}

void GeneratorNet::Decoder::step(std::span<const int32_t> token) {
  torch::NoGradGuard no_grad;
  auto& net = *impl_->owner->impl_->net;
  const int64_t nf = int64_t(net.cfg.field_sizes.size());
  if (int64_t(token.size()) != nf) throw Error{ErrorKind::BadRequest, "generator: a token holds every field"};
  if (impl_->cache.length >= net.cfg.max_len)
    throw Error{ErrorKind::Unprocessable, "generator: the decoder's cache is full (" + std::to_string(net.cfg.max_len) + " tokens)"};
  auto x = torch::from_blob(const_cast<int32_t*>(token.data()), {1, 1, nf}, torch::kInt32).to(torch::kLong);
  check_values(x, net.cfg);
  impl_->last = net.hidden(x, false, &impl_->cache)[0][0];
}

std::vector<float> GeneratorNet::Decoder::logits(int head, std::span<const int> earlier) const {
  torch::NoGradGuard no_grad;
  auto& net = *impl_->owner->impl_->net;
  const auto& c = net.cfg;
  if (!impl_->last.defined()) throw Error{ErrorKind::BadRequest, "generator: logits before begin()"};
  if (head < 0 || size_t(head) >= c.heads.size() || earlier.size() != size_t(head))
    throw Error{ErrorKind::BadRequest, "generator: head " + std::to_string(head) + " takes the values of the heads before it"};
  torch::Tensor z = impl_->last;
  for (int j = 0; j < head; ++j) {
    const int v = earlier[size_t(j)];
    if (v < 0 || v >= c.field_sizes[size_t(c.heads[size_t(j)])])
      throw Error{ErrorKind::BadRequest, "generator: value of head " + std::to_string(j) + " out of range"};
    z = z + net.cond[size_t(j)]->weight[v];
  }
  auto l = net.head(size_t(head), z).contiguous();
  return {l.data_ptr<float>(), l.data_ptr<float>() + l.numel()};
}

int GeneratorNet::Decoder::length() const { return int(impl_->cache.length); }
int GeneratorNet::Decoder::capacity() const { return impl_->owner->config().max_len; }

}  // namespace cadenza::ml
