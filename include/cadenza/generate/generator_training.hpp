#pragma once
// Training the transformer generator (ml/generator_net.hpp) on the symbolic corpus, and the held-out
// measure it shares with the Markov baseline.
//
// The net reads every field of the compound tokens (tokens.hpp: the controls' fields and the note's) and
// predicts, per next token: type, bar, position, pitch, duration, velocity (in that order, each seeing
// the ones before it). Only the type is a target at every position (a note or the end); the other five
// count where the next token is a note.
//
// Windows: a piece is [controls, notes..., end]; a window is the controls token followed by up to
// window_notes() = max_len - 1 consecutive tokens of the rest. Training crops one window per piece and
// epoch at a random start, the piece moved by a random transposition of -max_shift..max_shift semitones
// (one that keeps it in range). Held-out pieces are read whole, in windows starting every half window,
// each scoring only the tokens the previous window did not (the first scores all), so every note is
// scored once with at least half a window of context, as the sampler sees it when its cache is full.
//
// NLL per note (nll_per_note): -log P(bar, position, pitch, duration, velocity | past, controls), summed
// over the five heads and averaged over the held-out notes: the same events the Markov model scores
// (its time = bar * 72 + position is one symbol; P(bar) P(position | bar) is the same probability), in
// per_field order time, pitch, duration, velocity. The type head (is the next token a note or the end?)
// is not part of it, as the Markov model has no end; it is reported apart (type_per_note).
// Conditioning differs: the transformer reads the whole controls token (style, key, mode, meter, tempo,
// density and energy classes), the Markov model style, meter, mode and the tonic.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cadenza/core/progress.hpp"
#include "cadenza/generate/corpus.hpp"
#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/tokens.hpp"
#include "cadenza/ml/generator_net.hpp"

namespace cadenza::generate {

// The heads, in order: type, bar, position, pitch, duration, velocity.
inline constexpr std::array<Field, 6> kGeneratorHeads{kType, kBar, kPosition, kPitch, kDuration, kVelocity};

enum class GeneratorSize { Tiny, Small };
// Tiny: d 32, 1 layer, 16-token windows (tests, CI). Small: d 128, 4 layers, 4 heads, ff 512, 257-token
// windows, dropout 0.05 (1.0 M parameters; the one models/generator.bin holds: the size that learns in
// ~40 minutes on a shared 2-core machine, where d 192 / ff 768 (2.2 M) ran at ~300 tokens/s).
ml::GeneratorConfig generator_config(GeneratorSize size);
inline int window_notes(const ml::GeneratorConfig& c) { return c.max_len - 1; }

// The net reads and predicts pitch relative to the piece's tonic (the controls token's): its pitch field is
// token pitch field + 11 - tonic, 0..98, so a scale degree is the same value in every key (the Markov model
// does the same); an absolute pitch field is that minus 11 plus the tonic, which may fall outside 0..87
// (the sampler masks those).
inline constexpr int kNetPitchValues = 88 + 11;
inline int net_pitch(int pitch_field, int tonic) { return pitch_field + 11 - tonic; }
inline int token_pitch(int net_value, int tonic) { return net_value - 11 + tonic; }

// Token fields flattened (tokens.size() x kFieldCount), as the net reads them: note pitches relative to
// `tonic` (the window's controls token's kTonic).
std::vector<int32_t> flatten(const std::vector<Token>& tokens, int tonic);

// The held-out windows of one encoded piece (the rule above), as one batch row each.
struct Window {
  std::vector<Token> tokens;       // controls + up to window_notes tokens
  std::vector<uint8_t> scored;     // per token: 1 when it is scored here (never the controls token)
};
std::vector<Window> heldout_windows(const std::vector<Token>& encoded, int window_notes);
// Rows padded to the longest; loss mask per the rule above (type always, the rest on note targets).
ml::GeneratorBatch make_batch(const std::vector<Window>& rows);

struct GeneratorNll {
  Nll nll;                    // per_note and per_field (time, pitch, duration, velocity), as markov.hpp
  double type_per_note = 0;   // the type head's NLL, per note (notes and the end token scored, over notes)
  double loss_per_token = 0;  // all six heads, per scored token (the training loss)
};
// Held-out pieces that do not encode are skipped. Runs on the calling thread's intra-op threads.
GeneratorNll evaluate_generator(const ml::GeneratorNet& net, const std::vector<Piece>& pieces, int batch = 16);

struct GeneratorTrainOptions {
  GeneratorSize size = GeneratorSize::Small;
  int64_t steps = 0;       // stop after this many steps (0: the time limit alone)
  double minutes = 40;     // stop after this long (0: steps alone); the cosine schedule spans whichever is set
                           // (steps when both)
  int batch = 8;           // windows per step
  double lr = 1.5e-3;      // peak; linear warm-up over warmup_steps, cosine to lr / 10
  int warmup_steps = 100;
  int max_shift = 5;       // transpositions -max_shift..max_shift
  int threads = 1;         // intra-op threads
  uint64_t seed = 1;
  int validate_every = 0;  // steps between validations (0: once per epoch)
  std::filesystem::path out;  // the best checkpoint (lowest validation loss) is written here
};

struct GeneratorTrainReport {
  int64_t steps = 0;
  double seconds = 0;
  double epochs = 0;
  int64_t parameters = 0;
  int64_t train_tokens = 0;          // tokens read in training
  double first_loss = 0;             // mean training loss (per token, all heads) of the first 10 steps
  double last_loss = 0;              // ... of the last 10 steps
  std::vector<double> valid_losses;  // per validation: loss per token
  double best_valid = 0;
  GeneratorNll best;                 // the best checkpoint on the valid split
};

// Trains on the train split of `corpus`, validates on its valid split and keeps the best checkpoint
// (written to options.out when set). `progress` gets (fraction of the steps or time, "epoch N loss X").
GeneratorTrainReport train_generator(const std::vector<Piece>& corpus, const GeneratorTrainOptions& options,
                                     const Progress& progress = {}, const CancelCheck& cancelled = {});

}  // namespace cadenza::generate
