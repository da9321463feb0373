// Training and held-out evaluation of the transformer generator (rules in generator_training.hpp).
#include "cadenza/generate/generator_training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/transformer_sampler.hpp"
#include "cadenza/ml/runtime.hpp"

namespace cadenza::generate {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

bool encodes(const Piece& p, std::vector<Token>* out = nullptr) {
  try {
    auto t = encode(p);
    if (out) *out = std::move(t);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// One training window: the piece moved by a random shift that keeps it in range, cropped at random.
Window training_window(const Piece& piece, int max_shift, int window, std::mt19937_64& rng) {
  std::vector<Token> encoded;
  for (int attempt = 0; attempt < 4 && encoded.empty(); ++attempt) {
    const int shift = max_shift > 0 ? int(rng() % uint64_t(2 * max_shift + 1)) - max_shift : 0;
    if (shift == 0) {
      encodes(piece, &encoded);
    } else if (auto moved = transposed(piece, shift)) {
      encodes(*moved, &encoded);
    }
  }
  if (encoded.empty()) encodes(piece, &encoded);
  Window w;
  const size_t rest = encoded.size() - 1;
  const size_t start = rest > size_t(window) ? size_t(rng() % (rest - size_t(window) + 1)) : 0;
  const size_t n = std::min(rest, size_t(window));
  w.tokens.push_back(encoded[0]);
  w.tokens.insert(w.tokens.end(), encoded.begin() + 1 + std::ptrdiff_t(start), encoded.begin() + 1 + std::ptrdiff_t(start + n));
  w.scored.assign(w.tokens.size(), 1);
  w.scored[0] = 0;
  return w;
}

double cosine_lr(const GeneratorTrainOptions& o, int64_t step, double fraction) {
  if (step < o.warmup_steps) return o.lr * double(step + 1) / double(o.warmup_steps);
  const double f = std::clamp(fraction, 0.0, 1.0);
  const double floor = o.lr / 10;
  return floor + (o.lr - floor) * 0.5 * (1 + std::cos(M_PI * f));
}

}  // namespace

ml::GeneratorConfig generator_config(GeneratorSize size) {
  ml::GeneratorConfig c;
  for (const auto& f : vocabulary()) c.field_sizes.push_back(f.size);
  c.field_sizes[kPitch] = kNetPitchValues;
  for (Field f : kGeneratorHeads) c.heads.push_back(int(f));
  if (size == GeneratorSize::Tiny) {
    c.d_model = 32;
    c.layers = 1;
    c.n_heads = 2;
    c.ff = 64;
    c.max_len = 17;
    c.dropout = 0.0;
  } else {
    c.d_model = 128;
    c.layers = 4;
    c.n_heads = 4;
    c.ff = 512;
    c.max_len = 257;
    c.dropout = 0.05;
  }
  return c;
}

namespace {
void append_net_fields(const Token& t, int tonic, int32_t* out) {
  for (int f = 0; f < kFieldCount; ++f) out[f] = int32_t(t.f[size_t(f)]);
  if (t.type() == TokenType::Note) out[kPitch] = int32_t(net_pitch(t[kPitch], tonic));
}
}  // namespace

std::vector<int32_t> flatten(const std::vector<Token>& tokens, int tonic) {
  std::vector<int32_t> out(tokens.size() * kFieldCount);
  for (size_t i = 0; i < tokens.size(); ++i) append_net_fields(tokens[i], tonic, out.data() + i * kFieldCount);
  return out;
}

std::vector<Window> heldout_windows(const std::vector<Token>& encoded, int window) {
  if (encoded.empty() || encoded[0].type() != TokenType::Controls || window < 2)
    throw Error(ErrorKind::BadRequest, "heldout_windows: an encoded piece starts with its controls token");
  std::vector<Window> out;
  const size_t rest = encoded.size() - 1, W = size_t(window), H = W / 2;
  size_t covered = 0;  // tokens of the rest scored so far
  for (size_t s = 0; covered < rest; s += H) {
    Window w;
    const size_t end = std::min(rest, s + W);
    w.tokens.push_back(encoded[0]);
    w.scored.push_back(0);
    for (size_t i = s; i < end; ++i) {
      w.tokens.push_back(encoded[1 + i]);
      w.scored.push_back(i >= covered ? 1 : 0);
    }
    covered = end;
    out.push_back(std::move(w));
  }
  return out;
}

ml::GeneratorBatch make_batch(const std::vector<Window>& rows) {
  ml::GeneratorBatch b;
  b.batch = int(rows.size());
  b.length = 2;
  for (const auto& r : rows) b.length = std::max(b.length, int(r.tokens.size()));
  constexpr size_t H = kGeneratorHeads.size();
  b.tokens.assign(size_t(b.batch) * size_t(b.length) * kFieldCount, 0);
  b.loss_mask.assign(size_t(b.batch) * size_t(b.length) * H, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    const int tonic = rows[r].tokens.empty() ? 0 : rows[r].tokens[0][kTonic];
    for (size_t t = 0; t < rows[r].tokens.size(); ++t) {
      const Token& tok = rows[r].tokens[t];
      const size_t at = r * size_t(b.length) + t;
      append_net_fields(tok, tonic, b.tokens.data() + at * kFieldCount);
      if (t == 0 || !rows[r].scored[t]) continue;
      b.loss_mask[at * H] = 1;
      if (tok.type() == TokenType::Note)
        for (size_t h = 1; h < H; ++h) b.loss_mask[at * H + h] = 1;
    }
  }
  return b;
}

GeneratorNll evaluate_generator(const ml::GeneratorNet& net, const std::vector<Piece>& pieces, int batch) {
  std::vector<Window> windows;
  for (const auto& p : pieces) {
    std::vector<Token> encoded;
    if (!encodes(p, &encoded)) continue;
    for (auto& w : heldout_windows(encoded, window_notes(net.config()))) windows.push_back(std::move(w));
  }
  // similar lengths together: less padding
  std::stable_sort(windows.begin(), windows.end(), [](const Window& a, const Window& b) { return a.tokens.size() < b.tokens.size(); });
  constexpr size_t H = kGeneratorHeads.size();
  std::vector<double> sum(H, 0.0);
  std::vector<int64_t> count(H, 0);
  for (size_t i = 0; i < windows.size(); i += size_t(batch)) {
    const std::vector<Window> rows(windows.begin() + std::ptrdiff_t(i),
                                   windows.begin() + std::ptrdiff_t(std::min(windows.size(), i + size_t(batch))));
    const auto l = net.evaluate(make_batch(rows));
    for (size_t h = 0; h < H; ++h) sum[h] += l.sum[h], count[h] += l.count[h];
  }
  GeneratorNll out;
  const int64_t notes = count[1];
  out.nll.notes = notes;
  if (notes > 0) {
    out.nll.per_field = {(sum[1] + sum[2]) / double(notes), sum[3] / double(notes), sum[4] / double(notes),
                         sum[5] / double(notes)};
    out.nll.per_note = (sum[1] + sum[2] + sum[3] + sum[4] + sum[5]) / double(notes);
    out.type_per_note = sum[0] / double(notes);
  }
  if (count[0] > 0) out.loss_per_token = std::accumulate(sum.begin(), sum.end(), 0.0) / double(count[0]);
  return out;
}

GeneratorTrainReport train_generator(const std::vector<Piece>& corpus, const GeneratorTrainOptions& o,
                                     const Progress& progress, const CancelCheck& cancelled) {
  if (o.steps <= 0 && !(o.minutes > 0))
    throw Error(ErrorKind::BadRequest, "Invalid training options", {{"steps", "set steps or minutes"}});
  if (o.batch < 1) throw Error(ErrorKind::BadRequest, "Invalid training options", {{"batch", "must be >= 1"}});
  ml::IntraOpThreads threads(o.threads);
  std::vector<Piece> train, valid;
  for (const auto& p : corpus) {
    if (!encodes(p)) continue;
    if (p.split == Split::Train) train.push_back(p);
    if (p.split == Split::Valid) valid.push_back(p);
  }
  if (train.empty() || valid.empty())
    throw Error(ErrorKind::Unprocessable, "train_generator: the corpus has no train or no valid pieces that encode");

  const auto config = generator_config(o.size);
  ml::GeneratorNet net(config, o.seed);
  {
    MarkovModel ranges(0);  // the pitch ranges the sampler's range mask keeps, as the Markov model's
    ranges.train(train);
    net.set_metadata(ranges_metadata(ranges));
  }
  GeneratorTrainReport report;
  report.parameters = net.parameter_count();
  const int W = window_notes(config);
  std::mt19937_64 rng(o.seed);
  const auto t0 = std::chrono::steady_clock::now();
  const double limit_s = o.minutes * 60;
  auto fraction = [&] {
    if (o.steps > 0) return double(report.steps) / double(o.steps);
    return seconds_since(t0) / limit_s;
  };
  auto done = [&] {
    if (o.steps > 0 && report.steps >= o.steps) return true;
    if (o.minutes > 0 && seconds_since(t0) >= limit_s) return true;
    return cancelled && cancelled();
  };
  std::vector<double> recent;
  double running = 0;
  int64_t since_valid = 0;
  report.best_valid = INFINITY;
  auto validate = [&] {
    const auto v = evaluate_generator(net, valid);
    report.valid_losses.push_back(v.nll.per_note);
    if (v.nll.per_note < report.best_valid) {
      report.best_valid = v.nll.per_note;
      report.best = v;
      if (!o.out.empty()) net.save(o.out);
    }
    since_valid = 0;
  };
  int epoch = 0;
  while (!done()) {
    ++epoch;
    std::vector<size_t> order(train.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::shuffle(order.begin(), order.end(), rng);
    const size_t chunk = size_t(o.batch) * 8;
    for (size_t c = 0; c < order.size() && !done(); c += chunk) {
      std::vector<Window> windows;
      for (size_t i = c; i < std::min(order.size(), c + chunk); ++i)
        windows.push_back(training_window(train[order[i]], o.max_shift, W, rng));
      std::stable_sort(windows.begin(), windows.end(), [](const Window& a, const Window& b) { return a.tokens.size() < b.tokens.size(); });
      std::vector<size_t> starts;
      for (size_t i = 0; i < windows.size(); i += size_t(o.batch)) starts.push_back(i);
      std::shuffle(starts.begin(), starts.end(), rng);
      for (size_t s : starts) {
        if (done()) break;
        const std::vector<Window> rows(windows.begin() + std::ptrdiff_t(s),
                                       windows.begin() + std::ptrdiff_t(std::min(windows.size(), s + size_t(o.batch))));
        const auto batch = make_batch(rows);
        const auto l = net.train_step(batch, cosine_lr(o, report.steps, fraction()));
        double sum = 0;
        for (double x : l.sum) sum += x;
        const double per_token = l.count[0] ? sum / double(l.count[0]) : 0.0;
        if (report.steps < 10) report.first_loss += per_token / 10;
        recent.push_back(per_token);
        if (recent.size() > 10) recent.erase(recent.begin());
        running = std::accumulate(recent.begin(), recent.end(), 0.0) / double(recent.size());
        report.train_tokens += l.count[0];
        ++report.steps;
        ++since_valid;
        if (o.validate_every > 0 && since_valid >= o.validate_every) validate();
        if (progress) {
          std::string stage = "epoch " + std::to_string(epoch) + " loss " + std::to_string(running).substr(0, 5);
          if (!report.valid_losses.empty())
            stage += " valid " + std::to_string(report.valid_losses.back()).substr(0, 5);
          progress(std::min(1.0, fraction()), stage);
        }
      }
    }
    if (o.validate_every <= 0 || since_valid > 0) validate();
  }
  report.seconds = seconds_since(t0);
  report.last_loss = running;
  if (report.steps < 10 && report.steps > 0) report.first_loss *= 10.0 / double(report.steps);
  report.epochs = double(epoch);
  return report;
}

}  // namespace cadenza::generate
