#pragma once
// GeneratorNet: a small decoder-only transformer over compound tokens (one token = several fields, each
// an integer; Hsiao et al. 2021, "Compound Word Transformer"). Torch-free header; src/ml/generator_net.cpp
// holds the torch. The net knows nothing of music: generate/ says what the fields mean.
//
// Input: each field of a token has its own embedding table; the token's vector is their sum plus a
// learned position embedding. Then `layers` pre-norm blocks (causal multi-head self-attention, GELU
// feed-forward), a final LayerNorm -> hidden h_t.
// Output: heads predict the *next* token's fields in the order of GeneratorConfig::heads. Head k reads
//   h_t + sum_{j<k} C_j(value of head j's field in token t+1)
// (C_j: a conditioning embedding per head), so a later field sees the values of the earlier ones: the
// compound-word transformer's way of sampling the fields of one token one after the other. In training
// the true values are used (teacher forcing); in sampling, the values just sampled.
//
// Training: padded batches, a per-position, per-head mask saying which targets count; AdamW, the
// learning rate given per step; the loss is the sum over heads of each head's mean cross-entropy.
// Decoding: GeneratorNet::Decoder keeps a key/value cache of up to max_len tokens; one call per token,
// on the calling thread's intra-op threads (one, for streaming: ml::IntraOpThreads).
//
// File: "CDZGEN01" magic, format version, the config, a metadata string (the caller's: generate/ keeps
// the pitch ranges it masks with), every parameter by name and shape (float32), and a 64-bit FNV-1a
// checksum of everything before it; written atomically. load() throws Error(Unavailable) when the file
// cannot be read and Error(Unprocessable) for a bad magic, another version, a truncated file, a shape
// that does not match, or a checksum mismatch.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cadenza::ml {

struct GeneratorConfig {
  std::vector<int> field_sizes;  // vocabulary size of each input field (values 0..size-1)
  std::vector<int> heads;        // fields predicted, in order (indices into field_sizes)
  int d_model = 192;
  int layers = 4;
  int n_heads = 4;  // attention heads; d_model % n_heads == 0
  int ff = 768;     // feed-forward width
  int max_len = 257;  // tokens in one window (the position embedding's size, the cache's capacity)
  double dropout = 0.1;
  bool operator==(const GeneratorConfig&) const = default;
};

// tokens: batch x length x fields (row-major); loss_mask: batch x length x heads, 1 where token t's
// field heads[h] is a target predicted from tokens < t (position 0 is never one). Padding: mask 0.
struct GeneratorBatch {
  int batch = 0, length = 0;
  std::vector<std::int32_t> tokens;
  std::vector<std::uint8_t> loss_mask;
};

struct HeadLosses {
  std::vector<double> sum;      // per head: summed NLL (nats) over the counted targets
  std::vector<std::int64_t> count;  // per head: counted targets
  double mean(std::size_t head) const { return count[head] ? sum[head] / double(count[head]) : 0.0; }
  double total_mean() const;  // sum over heads of mean(head)
};

struct TrainOptions {
  double weight_decay = 0.01;
  double beta1 = 0.9, beta2 = 0.98;
  double clip_norm = 1.0;
};

class GeneratorNet {
 public:
  static constexpr std::uint32_t kFormatVersion = 1;

  // Random weights from `seed` (torch's generator). Error(BadRequest) for an inconsistent config.
  explicit GeneratorNet(const GeneratorConfig& config, std::uint64_t seed = 1);
  ~GeneratorNet();
  GeneratorNet(GeneratorNet&&) noexcept;
  GeneratorNet& operator=(GeneratorNet&&) noexcept;

  const GeneratorConfig& config() const;
  std::int64_t parameter_count() const;
  const std::string& metadata() const;
  void set_metadata(std::string metadata);

  // One AdamW step on the batch (dropout on) at learning rate `lr`; returns the batch's losses (before
  // the step). The optimizer's state is created on the first call.
  HeadLosses train_step(const GeneratorBatch& batch, double lr, const TrainOptions& options = {});
  // Losses without gradients (dropout off).
  HeadLosses evaluate(const GeneratorBatch& batch) const;
  // Full forward of one sequence (n x fields, n <= max_len), dropout off: logits[t][h] for head h at
  // position t, head h conditioned on the true values of the earlier heads' fields in token t+1 (the
  // last position: on zeros). For tests and checks of the decoder.
  std::vector<std::vector<std::vector<float>>> forward_logits(std::span<const std::int32_t> tokens) const;

  void save(const std::filesystem::path& path) const;
  static GeneratorNet load(const std::filesystem::path& path);

  // Incremental decoding with a key/value cache. Holds a reference to the net: the net must outlive it
  // and not train meanwhile. Not thread-safe; runs on the calling thread's intra-op threads.
  class Decoder {
   public:
    explicit Decoder(const GeneratorNet& net);
    ~Decoder();
    Decoder(Decoder&&) noexcept;
    Decoder& operator=(Decoder&&) noexcept;
    // Clears the cache and reads the prefix (n x fields, 1 <= n <= max_len) in one pass.
    void begin(std::span<const std::int32_t> prefix);
    // Appends one token (fields values). Error(Unprocessable) when the cache is full (length() == max_len).
    void step(std::span<const std::int32_t> token);
    // Logits of head `head` for the next token, given the values `earlier` of heads 0..head-1
    // (earlier.size() == head).
    std::vector<float> logits(int head, std::span<const int> earlier) const;
    int length() const;  // tokens in the cache
    int capacity() const;

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cadenza::ml
