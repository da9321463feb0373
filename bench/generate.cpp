// bench/generate: the generation groundwork measured on the symbolic corpus (Nottingham + JSB, the
// fixed split of generate/corpus.hpp).
//  1. Held-out NLL per note (nats) of the factorised Kneser-Ney n-gram (generate/markov.hpp) at
//     orders 1..max and of the unigram baseline (order 0), trained on the train split, alone and with
//     the +-5-semitone transpositions ("test,+-5"); by field for the test split. The model reads pitch
//     relative to the tonic, so a transposition repeats the piece's counts (up to an octave): that
//     column shows what augmentation does to an n-gram (its discounts shrink), not a better model, and
//     the samples come from the models trained without it.
//  2. Yang & Lerch 2018 objective features (generate/evaluation.hpp): for each feature, the overlapping
//     area (OA) and KL of intra-set distances of the test pieces against the inter-set distances of a
//     compared set to them. Compared sets: as many train pieces as test pieces (the reference: real music
//     that is not the test set), and pieces sampled from the unigram, order-1 and order-3 models, one per
//     test piece with that piece's controls (style, key, mode, meter, tempo, length in bars).
//
//  3. The transformer (generate/transformer_sampler.hpp, weights from --generator, default
//     models/generator.bin; left out when the file is missing): its held-out NLL per note on the same
//     notes (the five note heads: bar + position = time, pitch, duration, velocity; generator_training.hpp
//     says what is and is not compared), and its samples (temperature 1, top-p 0.95, the same masks and
//     controls as the n-gram's) in the Yang & Lerch table.
//
// Usage: generate [--nottingham DIR] [--jsb FILE] [--max-order 4] [--seed 1] [--no-augment] [--midi DIR]
//                 [--generator FILE]
// --midi DIR writes the first samples of each model as MIDI files (order3-0.mid ...) to listen to.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/corpus.hpp"
#include "cadenza/generate/evaluation.hpp"
#include "cadenza/generate/generator_training.hpp"
#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/transformer_sampler.hpp"
#include "cadenza/ml/generator_net.hpp"
#include "cadenza/ml/runtime.hpp"
#include "cadenza/notation/midi_file.hpp"

using namespace cadenza::generate;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Controls controls_of(const Piece& p) {
  Controls c;
  c.style = p.style;
  c.key_tonic = p.key_tonic;
  c.mode = p.mode;
  c.meter = p.meter;
  c.tempo_bpm = p.tempo_bpm;
  c.length = {Length::Unit::Bars, std::max(1.0, std::ceil(double(p.end_tick()) / double(p.bar_ticks())))};
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  CorpusOptions options;
  int max_order = 4;
  uint64_t seed = 1;
  bool augment = true;
  std::string midi_dir;
  std::string generator_path = "models/generator.bin";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--nottingham") options.nottingham_dir = next();
    else if (a == "--jsb") options.jsb_json = next();
    else if (a == "--max-order") max_order = std::atoi(next().c_str());
    else if (a == "--seed") seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--no-augment") augment = false;
    else if (a == "--midi") midi_dir = next();
    else if (a == "--generator") generator_path = next();
    else {
      std::fprintf(stderr, "usage: generate [--nottingham DIR] [--jsb FILE] [--max-order 4] [--seed 1] [--no-augment] [--midi DIR] [--generator FILE]\n");
      return 2;
    }
  }
  max_order = std::clamp(max_order, 1, KneserNey::kMaxOrder);
  try {
    cadenza::ml::init_runtime({});
    cadenza::ml::IntraOpThreads one_thread(1);
    if (!midi_dir.empty()) std::filesystem::create_directories(midi_dir);
    auto t0 = std::chrono::steady_clock::now();
    LoadStats stats;
    const auto pieces = load_corpus(options, &stats);
    const auto c = count(pieces);
    std::printf("corpus: %zu pieces (%d Nottingham files, %zu skipped: meter changes), loaded in %.2f s\n", pieces.size(),
                stats.files, stats.skipped.size(), seconds_since(t0));
    for (Split s : {Split::Train, Split::Valid, Split::Test}) {
      int folk = 0, chorale = 0;
      for (const auto& p : pieces)
        if (p.split == s) (p.style == Style::Folk ? folk : chorale)++;
      std::printf("  %-5s %5d pieces (%4d folk, %3d chorale) %8lld notes\n", to_string(s), c.pieces[int(s)], folk, chorale,
                  (long long)c.notes[int(s)]);
    }
    const auto train = of_split(pieces, Split::Train), valid = of_split(pieces, Split::Valid),
               test = of_split(pieces, Split::Test);
    t0 = std::chrono::steady_clock::now();
    const auto train_aug = augment ? augmented(train) : std::vector<Piece>{};
    if (augment)
      std::printf("  train +-5 semitones: %zu pieces (%.2f s)\n", train_aug.size(), seconds_since(t0));

    // 1. NLL
    std::printf("\nHeld-out NLL per note (nats; time + pitch + duration + velocity)\n");
    std::printf("%-18s %8s %8s %10s %8s | test by field: %6s %6s %6s %6s\n", "model", "valid", "test",
                augment ? "test,+-5" : "", "fit s", "time", "pitch", "dur", "vel");
    std::map<int, std::unique_ptr<MarkovModel>> models;  // sampled from: trained on the train split as it is
    for (int order = 0; order <= max_order; ++order) {
      t0 = std::chrono::steady_clock::now();
      auto plain = std::make_unique<MarkovModel>(order);
      plain->train(train);
      const double fit = seconds_since(t0);
      const auto v = plain->nll(valid), t = plain->nll(test);
      double ta = NAN;
      std::unique_ptr<MarkovModel> aug;
      if (augment) {
        aug = std::make_unique<MarkovModel>(order);
        aug->train(train_aug);
        ta = aug->nll(test).per_note;
      }
      const std::string name = order == 0 ? "unigram (order 0)" : "n-gram order " + std::to_string(order);
      std::printf("%-18s %8.3f %8.3f %10s %8.2f |                %6.3f %6.3f %6.3f %6.3f\n", name.c_str(), v.per_note,
                  t.per_note, augment ? std::to_string(ta).substr(0, 6).c_str() : "", fit, t.per_field[0], t.per_field[1],
                  t.per_field[2], t.per_field[3]);
      models[order] = std::move(plain);
    }
    std::unique_ptr<cadenza::ml::GeneratorNet> net;
    if (std::filesystem::exists(generator_path)) {
      t0 = std::chrono::steady_clock::now();
      net = std::make_unique<cadenza::ml::GeneratorNet>(cadenza::ml::GeneratorNet::load(generator_path));
      const auto v = evaluate_generator(*net, valid), t = evaluate_generator(*net, test);
      std::printf("%-18s %8.3f %8.3f %10s %8.2f |                %6.3f %6.3f %6.3f %6.3f\n", "transformer", v.nll.per_note,
                  t.nll.per_note, "", seconds_since(t0), t.nll.per_field[0], t.nll.per_field[1], t.nll.per_field[2],
                  t.nll.per_field[3]);
      std::printf("  (%s: %lld parameters; eval s = both splits; its type head, note or end, adds %.3f / %.3f)\n",
                  generator_path.c_str(), (long long)net->parameter_count(), v.type_per_note, t.type_per_note);
    } else {
      std::printf("  (no transformer: %s not found)\n", generator_path.c_str());
    }

    // 2. Yang & Lerch
    std::vector<PieceFeatures> reference, train_like;
    for (const auto& p : test) reference.push_back(features(p));
    const size_t stride = std::max<size_t>(1, train.size() / test.size());
    for (size_t i = 0; i < train.size() && train_like.size() < test.size(); i += stride) train_like.push_back(features(train[i]));
    std::vector<std::pair<std::string, std::vector<PieceFeatures>>> sets{{"train", train_like}};
    for (int order : {0, 1, 3}) {
      if (order > max_order) continue;
      t0 = std::chrono::steady_clock::now();
      std::vector<PieceFeatures> gen;
      int64_t notes = 0;
      for (size_t i = 0; i < test.size(); ++i) {
        const auto g = models[order]->sample(controls_of(test[i]), seed + i, int(test[i].notes.size()) * 2 + 64);
        notes += int64_t(g.notes.size());
        gen.push_back(features(g));
        if (!midi_dir.empty() && i < 4) {
          const auto path = std::filesystem::path(midi_dir) /
                            ((order == 0 ? std::string("unigram") : "order" + std::to_string(order)) + "-" + std::to_string(i) + ".mid");
          const auto bytes = cadenza::notation::to_midi(to_events(g), {g.tempo_bpm, false});
          std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        }
      }
      const double s = seconds_since(t0);
      std::printf("%s samples: %zu pieces, %lld notes, %.0f notes/s\n", order == 0 ? "unigram" : ("order-" + std::to_string(order)).c_str(),
                  gen.size(), (long long)notes, double(notes) / std::max(s, 1e-9));
      sets.emplace_back(order == 0 ? "unigram" : "order " + std::to_string(order), std::move(gen));
    }
    if (net) {
      t0 = std::chrono::steady_clock::now();
      std::vector<PieceFeatures> gen;
      int64_t notes = 0;
      for (size_t i = 0; i < test.size(); ++i) {
        SamplerSettings settings;
        settings.seed = seed + i;
        settings.max_notes = int(test[i].notes.size()) * 2 + 64;
        const auto g = sample_piece(*net, controls_of(test[i]), settings);
        notes += int64_t(g.notes.size());
        gen.push_back(features(g));
        if (!midi_dir.empty() && i < 4) {
          const auto path = std::filesystem::path(midi_dir) / ("transformer-" + std::to_string(i) + ".mid");
          const auto bytes = cadenza::notation::to_midi(to_events(g), {g.tempo_bpm, false});
          std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        }
      }
      const double s = seconds_since(t0);
      std::printf("transformer samples: %zu pieces, %lld notes, %.0f notes/s (one thread)\n", gen.size(), (long long)notes,
                  double(notes) / std::max(s, 1e-9));
      sets.emplace_back("transformer", std::move(gen));
    }
    std::printf("\nYang & Lerch 2018 against the %zu test pieces: OA (higher is closer) / KL(intra || inter)\n", test.size());
    std::printf("%-22s", "feature");
    for (const auto& [name, _] : sets) std::printf(" %17s", name.c_str());
    std::printf("\n");
    std::vector<double> mean_oa(sets.size(), 0.0);
    for (int fi = 0; fi < kFeatureCount; ++fi) {
      const Feature f = Feature(fi);
      std::printf("%-22s", to_string(f));
      for (size_t s = 0; s < sets.size(); ++s) {
        const auto o = compare_sets(sets[s].second, reference, f);
        mean_oa[s] += o.overlap_area / kFeatureCount;
        std::printf("     %5.3f / %5.3f", o.overlap_area, o.kl);
      }
      std::printf("\n");
    }
    std::printf("%-22s", "mean OA");
    for (double m : mean_oa) std::printf("     %5.3f        ", m);
    std::printf("\n\nmeans per piece         test");
    for (const auto& [name, _] : sets) std::printf(" %9s", name.c_str());
    std::printf("\n");
    for (Feature f : {Feature::PitchRange, Feature::PitchInterval, Feature::InterOnsetInterval, Feature::PitchCount,
                      Feature::NoteCount}) {
      auto mean = [&](const std::vector<PieceFeatures>& v) {
        double m = 0;
        for (const auto& x : v) m += feature_vector(x, f)[0];
        return m / double(v.size());
      };
      std::printf("%-22s %6.2f", to_string(f), mean(reference));
      for (const auto& [name, v] : sets) std::printf(" %9.2f", mean(v));
      std::printf("\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "generate: %s\n", e.what());
    return 1;
  }
  return 0;
}
