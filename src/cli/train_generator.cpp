// cadenza train-generator: trains the transformer generator (generate/generator_training.hpp) on the
// symbolic corpus on the CPU and writes the best checkpoint.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/corpus.hpp"
#include "cadenza/generate/generator_training.hpp"
#include "cadenza/generate/markov.hpp"
#include "cli/commands.hpp"

namespace cadenza::cli {
namespace {

struct TrainGeneratorArgs {
  std::string out = "models/generator.bin";
  double minutes = 0;
  int64_t steps = 0;
  bool tiny = false;
  int threads = 1;
  int batch = 8;
  double lr = 1.5e-3;
  int validate_every = 0;
  uint64_t seed = 1;
  generate::CorpusOptions corpus;
};

void run(const TrainGeneratorArgs& a) {
  using namespace generate;
  GeneratorTrainOptions o;
  o.size = a.tiny ? GeneratorSize::Tiny : GeneratorSize::Small;
  o.steps = a.steps;
  o.minutes = a.minutes > 0 || a.steps > 0 ? a.minutes : (a.tiny ? 0.1 : 40);
  o.threads = a.threads;
  o.batch = a.batch;
  o.lr = a.lr;
  o.validate_every = a.validate_every;
  o.seed = a.seed;
  o.out = a.out;
  if (o.out.has_parent_path()) std::filesystem::create_directories(o.out.parent_path());
  LoadStats stats;
  const auto corpus = load_corpus(a.corpus, &stats);
  const auto c = count(corpus);
  std::printf("corpus: %d train / %d valid / %d test pieces (%lld train notes); transpositions -5..+5\n",
              c.pieces[0], c.pieces[1], c.pieces[2], (long long)c.notes[0]);
  const auto cfg = generator_config(o.size);
  std::printf("model: d_model %d, %d layers, %d heads, ff %d, window %d notes; %d threads, batch %d\n", cfg.d_model,
              cfg.layers, cfg.n_heads, cfg.ff, window_notes(cfg), o.threads, o.batch);
  std::fflush(stdout);
  ProgressBar bar{::isatty(STDERR_FILENO) != 0};
  const auto r = train_generator(corpus, o, [&bar](double f, std::string_view stage) { bar.update(f, stage); });
  bar.finish();
  std::printf("trained %lld parameters: %lld steps, %d epochs, %lld tokens in %.1f s (%.0f tokens/s)\n",
              (long long)r.parameters, (long long)r.steps, int(r.epochs), (long long)r.train_tokens, r.seconds,
              double(r.train_tokens) / std::max(r.seconds, 1e-9));
  std::printf("train loss per token: %.3f (first 10 steps) -> %.3f (last 10)\n", r.first_loss, r.last_loss);
  std::printf("valid NLL per note by validation:");
  for (double v : r.valid_losses) std::printf(" %.3f", v);
  std::printf("\nbest: valid NLL per note %.3f (time %.3f pitch %.3f duration %.3f velocity %.3f; type %.3f) -> %s\n",
              r.best.nll.per_note, r.best.nll.per_field[0], r.best.nll.per_field[1], r.best.nll.per_field[2],
              r.best.nll.per_field[3], r.best.type_per_note, a.out.c_str());
}

}  // namespace

void add_train_generator(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("train-generator",
                                 "Train the transformer generator on the Nottingham and JSB corpus (CPU) and write "
                                 "the checkpoint with the best validation loss");
  auto a = std::make_shared<TrainGeneratorArgs>();
  cmd->add_option("--out", a->out, "Weights file to write")->capture_default_str();
  auto* minutes = cmd->add_option("--minutes", a->minutes, "Train this long (default 40; --tiny 0.1)");
  auto* steps = cmd->add_option("--steps", a->steps, "Train this many steps");
  minutes->excludes(steps);
  cmd->add_flag("--tiny", a->tiny, "A tiny configuration (tests, CI)");
  cmd->add_option("--threads", a->threads, "Intra-op threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--batch", a->batch, "Windows per step")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->add_option("--lr", a->lr, "Peak learning rate (cosine schedule)")->capture_default_str();
  cmd->add_option("--validate-every", a->validate_every, "Steps between validations (default: once per epoch)");
  cmd->add_option("--seed", a->seed, "Seed of the weights and the data order")->capture_default_str();
  cmd->add_option("--nottingham", a->corpus.nottingham_dir, "Nottingham MIDI folder")->capture_default_str();
  cmd->add_option("--jsb", a->corpus.jsb_json, "JSB chorales JSON")->capture_default_str();
  cmd->callback([a, &exit_code] {
    run(*a);
    exit_code = 0;
  });
}

}  // namespace cadenza::cli
