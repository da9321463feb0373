// cadenza train-markov [-o models/markov.bin] [--order 4] [--nottingham DIR] [--jsb FILE]: trains the n-gram
// baseline (generate/markov.hpp) on the corpus's train split, prints its held-out NLL per note on the valid
// and test splits, and writes the model (MarkovModel::save) that `cadenza serve` loads (generate.markov_model).
// The data sets are read only here, never by the server.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/corpus.hpp"
#include "cadenza/generate/markov.hpp"
#include "cli/commands.hpp"

namespace cadenza::cli {
namespace {

struct TrainMarkovArgs {
  std::string output = "models/markov.bin";
  int order = 4;
  generate::CorpusOptions corpus;
};

void run(const TrainMarkovArgs& a) {
  using namespace generate;
  const auto t0 = std::chrono::steady_clock::now();
  LoadStats stats;
  const auto pieces = load_corpus(a.corpus, &stats);
  const auto train = of_split(pieces, Split::Train), valid = of_split(pieces, Split::Valid),
             test = of_split(pieces, Split::Test);
  const auto c = count(pieces);
  std::printf("corpus: %zu pieces (%d Nottingham files, %zu skipped); train %d pieces / %lld notes, valid %d / %lld, test %d / %lld\n",
              pieces.size(), stats.files, stats.skipped.size(), c.pieces[0], (long long)c.notes[0], c.pieces[1],
              (long long)c.notes[1], c.pieces[2], (long long)c.notes[2]);
  MarkovModel model(a.order);
  model.train(train);
  const auto v = model.nll(valid), t = model.nll(test);
  std::printf("order %d: held-out NLL per note (nats) valid %.3f, test %.3f (time %.3f, pitch %.3f, duration %.3f, velocity %.3f)\n",
              a.order, v.per_note, t.per_note, t.per_field[0], t.per_field[1], t.per_field[2], t.per_field[3]);
  const auto parent = std::filesystem::path(a.output).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  model.save(a.output);
  // What the server will read: the file, loaded back, must be the same model.
  const auto reloaded = MarkovModel::load(a.output).nll(valid).per_note;
  if (std::abs(reloaded - v.per_note) > 1e-9)
    throw Error(ErrorKind::Internal, "the written model reads back different (valid NLL " + std::to_string(reloaded) + ")");
  std::printf("wrote %s (%ju bytes) in %.1f s\n", a.output.c_str(), std::uintmax_t(std::filesystem::file_size(a.output)),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace

void add_train_markov(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TrainMarkovArgs>();
  auto* cmd = app.add_subcommand("train-markov", "Train the Markov (n-gram) generator on Nottingham + JSB and write its model file");
  cmd->add_option("-o,--output", args->output, "Model file to write")->capture_default_str();
  cmd->add_option("--order", args->order, "n-gram order (notes of context + 1)")->check(CLI::Range(0, 4))->capture_default_str();
  cmd->add_option("--nottingham", args->corpus.nottingham_dir, "Nottingham MIDI directory")->capture_default_str();
  cmd->add_option("--jsb", args->corpus.jsb_json, "JSB chorales JSON (16th steps)")->capture_default_str();
  cmd->callback([args, &exit_code] {
    run(*args);
    exit_code = 0;
  });
}

}  // namespace cadenza::cli
