// bench/recommend: the collaborative model on HetRec 2011 Last.fm 2K with RecBole's protocol
// (binarised user_artists.dat, a per-user random 80/10/10 split with a fixed seed, every item not in the
// user's history ranked; see ../shared/datasets/lastfm-2k/PUBLISHED.md). In one run, all scored on the
// test split with hyper-parameters chosen on the validation split by NDCG@10 (RecBole's valid_metric):
//  - popularity (train interactions per item);
//  - BPR-MF, the peer (plain SGD, d = 64, early stopping every 10 epochs);
//  - EASE^R as published (lambda only), and EASE^R with EDLAE's dropout emphasis and the popularity
//    exponent of its ranking (ml/ease.hpp), on binary input like every RecBole model;
//  - the same on the play counts as input weights (log:30 = 1 + log(1 + count / 30)): information the
//    published models do not use, so that row is not a like-for-like comparison with them;
//  - the engine itself: recommend::CollabModel (what the train_recommender job fits and recommendations
//    score with) trained through CollabModel::train on the same train split as listens (plays = 1 per
//    (user, artist); a scrobble is a "played" listen, so its weight is 1: binary input), lambda =
//    recommend.ease_lambda (60, --collab-lambda), scored through CollabModel::scores on a catalogue of the
//    artists; its fit seconds include the held-out evaluation fit it makes before the final one. A second
//    row gives it the play counts as completed listens (weight 1 + log(1 + count / 30)), as if the table were
//    a history of completed plays.
// Ratios against LightGCN's published Recall@10 (0.2064, RecBole-GNN) and against BPR-MF measured here.
//
// As in RecBole, validation ranks everything outside the user's train items; test ranks everything
// outside train + valid. Users without items in the split evaluated are not counted.
//
// Usage: recommend [--data PATH] [--seed 2020] [--threads N] [--lambdas 30,60,120] [--dropouts 0,0.7]
//                  [--betas 0,0.1,0.2,0.3] [--weightings binary,log:30] [--bpr-epochs 60] [--bpr-lr 0.05] [--bpr-reg 0.01] [--no-bpr]
//                  [--collab-lambda 60] [--no-collab]
// (lambdas are relative to the mean squared input weight, so 1 for binary input.)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cadenza/ml/ease.hpp"
#include "cadenza/ml/runtime.hpp"
#include "cadenza/ml/top_k.hpp"
#include "cadenza/recommend/catalog.hpp"
#include "cadenza/recommend/collab_model.hpp"
#include "cadenza/recommend/play_counts.hpp"
#include "cadenza/recommend/ranking_metrics.hpp"
#include "cadenza/recommend/ratio_split.hpp"

namespace {

using cadenza::recommend::RankingMetrics;
using cadenza::recommend::UserItems;
constexpr double kLightGcnRecall10 = 0.2064;
constexpr int kTopK = 10;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Mean metrics@10 over users with `target` items; `scorer(u)` gives all item scores, the items of
// `exclude_a` and `exclude_b` are left out of the ranking. Users are split over `threads` workers.
// With `scales`, one result per scale vector: the scores times it, item by item (one scoring pass).
std::vector<RankingMetrics> evaluate_scaled(int n_users, const std::function<std::vector<float>(int)>& scorer,
                                            const UserItems& target, const UserItems& exclude_a,
                                            const UserItems* exclude_b, int threads,
                                            const std::vector<std::vector<float>>& scales) {
  const std::size_t variants = std::max<std::size_t>(1, scales.size());
  std::mutex m;
  std::vector<cadenza::recommend::MetricsMean> totals(variants);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      cadenza::ml::IntraOpThreads one(1);
      std::vector<std::vector<RankingMetrics>> mine(variants);
      std::vector<std::int32_t> excluded, ranked;
      std::vector<float> scaled;
      for (int u = t; u < n_users; u += threads) {
        if (target[u].empty()) continue;
        auto s = scorer(u);
        excluded = exclude_a[u];
        if (exclude_b) excluded.insert(excluded.end(), (*exclude_b)[u].begin(), (*exclude_b)[u].end());
        for (std::size_t v = 0; v < variants; ++v) {
          scaled = s;
          if (!scales.empty())
            for (std::size_t j = 0; j < scaled.size(); ++j) scaled[j] *= scales[v][j];
          ranked.clear();
          for (auto& is : cadenza::ml::top_k_scores(scaled, kTopK, excluded)) ranked.push_back(is.item);
          mine[v].push_back(cadenza::recommend::user_metrics(ranked, target[u], kTopK));
        }
      }
      std::lock_guard lock(m);
      for (std::size_t v = 0; v < variants; ++v)
        for (auto& one : mine[v]) totals[v].add(one);
    });
  }
  for (auto& th : pool) th.join();
  std::vector<RankingMetrics> out;
  for (auto& t : totals) out.push_back(t.mean());
  return out;
}

RankingMetrics evaluate(int n_users, const std::function<std::vector<float>(int)>& scorer, const UserItems& target,
                        const UserItems& exclude_a, const UserItems* exclude_b, int threads) {
  return evaluate_scaled(n_users, scorer, target, exclude_a, exclude_b, threads, {}).front();
}

// BPR-MF (Rendle et al. 2009) with plain SGD: uniform (user, positive) pairs from the train split, one
// uniform negative each, d-dimensional user and item factors, L2 regularisation.
struct Bpr {
  int d = 64;
  std::vector<float> p, q;  // users x d, items x d
  int n_items = 0;

  std::vector<float> scores(int u) const {
    std::vector<float> s(static_cast<std::size_t>(n_items));
    const float* pu = &p[std::size_t(u) * d];
    for (int j = 0; j < n_items; ++j) {
      const float* qj = &q[std::size_t(j) * d];
      float acc = 0;
      for (int f = 0; f < d; ++f) acc += pu[f] * qj[f];
      s[std::size_t(j)] = acc;
    }
    return s;
  }
};

void bpr_epoch(Bpr& m, const UserItems& train, const std::vector<std::pair<int, int>>& pairs, std::mt19937_64& rng,
               float lr, float reg) {
  const int d = m.d;
  for (std::size_t s = 0; s < pairs.size(); ++s) {
    const auto [u, i] = pairs[std::size_t(rng() % pairs.size())];
    int j;
    do j = int(rng() % std::uint64_t(m.n_items));
    while (std::binary_search(train[u].begin(), train[u].end(), j));
    float* pu = &m.p[std::size_t(u) * d];
    float* qi = &m.q[std::size_t(i) * d];
    float* qj = &m.q[std::size_t(j) * d];
    float x = 0;
    for (int f = 0; f < d; ++f) x += pu[f] * (qi[f] - qj[f]);
    const float g = 1.0f / (1.0f + std::exp(x));  // sigmoid(-x)
    for (int f = 0; f < d; ++f) {
      const float pf = pu[f];
      pu[f] += lr * (g * (qi[f] - qj[f]) - reg * pf);
      qi[f] += lr * (g * pf - reg * qi[f]);
      qj[f] += lr * (-g * pf - reg * qj[f]);
    }
  }
}

struct Row {
  std::string name;
  RankingMetrics test;
  double fit_s = 0;
  std::string note;
};

std::vector<double> parse_list(const std::string& s) {
  std::vector<double> v;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) v.push_back(std::atof(part.c_str()));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  cadenza::ml::reexec_with_blas_core(argv);
  std::string data = "../shared/datasets/lastfm-2k/user_artists.dat";
  std::uint64_t seed = 2020;  // RecBole's default seed
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<double> lambdas{30, 60, 120};  // relative to the mean squared input weight
  std::vector<double> dropouts{0, 0.7};
  std::vector<double> betas{0, 0.1, 0.2, 0.3};
  int bpr_epochs = 60;
  float bpr_lr = 0.05f, bpr_reg = 0.01f;
  bool bpr = true, collab = true;
  double collab_lambda = 60;  // recommend.ease_lambda's default
  std::vector<std::string> weightings{"binary", "log:30"};
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](const char* name) { return std::strcmp(argv[i], name) == 0 && i + 1 < argc; };
    if (arg("--data")) data = argv[++i];
    else if (arg("--seed")) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (arg("--threads")) threads = std::max(1, std::atoi(argv[++i]));
    else if (arg("--lambdas")) lambdas = parse_list(argv[++i]);
    else if (arg("--dropouts")) dropouts = parse_list(argv[++i]);
    else if (arg("--betas")) betas = parse_list(argv[++i]);
    else if (arg("--bpr-epochs")) bpr_epochs = std::max(1, std::atoi(argv[++i]));
    else if (arg("--bpr-lr")) bpr_lr = float(std::atof(argv[++i]));
    else if (arg("--bpr-reg")) bpr_reg = float(std::atof(argv[++i]));
    else if (arg("--weightings")) {
      weightings.clear();
      std::stringstream list(argv[++i]);
      for (std::string w; std::getline(list, w, ',');) weightings.push_back(w);
    }
    else if (std::strcmp(argv[i], "--no-bpr") == 0) bpr = false;
    else if (arg("--collab-lambda")) collab_lambda = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--no-collab") == 0) collab = false;
    else {
      std::fprintf(stderr, "usage: recommend [--data PATH] [--seed N] [--threads N] [--lambdas a,b,..] [--dropouts a,b,..] [--betas a,b,..]\n"
                   "                 [--weightings binary,log:C,pow:A] [--bpr-epochs N] [--no-bpr] [--collab-lambda L] [--no-collab]\n");
      return 2;
    }
  }
  cadenza::ml::init_runtime({});
  const auto bench_start = std::chrono::steady_clock::now();
  std::printf("BLAS: %s\nthreads: %d\n", cadenza::ml::blas_library().c_str(), threads);

  auto table = cadenza::recommend::read_play_counts(data);
  const int n_users = int(table.user_ids.size());
  const int n_items = int(table.item_ids.size());
  auto split = cadenza::recommend::split_by_ratio(table.items_per_user, seed);
  std::size_t n_train = 0, n_valid = 0, n_test = 0;
  std::vector<cadenza::ml::Interaction> pairs;
  std::vector<std::pair<int, int>> train_pairs;
  for (int u = 0; u < n_users; ++u) {
    n_train += split.train[u].size();
    n_valid += split.valid[u].size();
    n_test += split.test[u].size();
    for (auto i : split.train[u]) {
      pairs.push_back({u, i, 1.0f});
      train_pairs.emplace_back(u, i);
    }
    std::sort(split.train[u].begin(), split.train[u].end());
  }
  std::printf("data: %s: %d users, %d items, %zu interactions; split seed %llu: train %zu, valid %zu, test %zu\n",
              data.c_str(), n_users, n_items, table.n_interactions, (unsigned long long)seed, n_train, n_valid, n_test);
  const auto train = cadenza::ml::Interactions::from_pairs(pairs, n_users, n_items);
  // EASE's input weights from the play counts of the train split: binary (what RecBole's models see),
  // log:c = 1 + log(1 + count / c), pow:a = count^a. Validation and test stay binary.
  auto train_with = [&](const std::string& weighting) {
    auto weight_of = [&](double count) -> float {
      if (weighting.rfind("log:", 0) == 0) return float(1.0 + std::log1p(count / std::atof(weighting.c_str() + 4)));
      if (weighting.rfind("pow:", 0) == 0) return float(std::pow(count, std::atof(weighting.c_str() + 4)));
      return 1.0f;
    };
    std::vector<cadenza::ml::Interaction> weighted;
    for (int u = 0; u < n_users; ++u)
      for (std::size_t p = 0; p < table.items_per_user[u].size(); ++p) {
        const auto item = table.items_per_user[u][p];
        if (std::binary_search(split.train[u].begin(), split.train[u].end(), item))
          weighted.push_back({u, item, weight_of(table.counts_per_user[u][p])});
      }
    return cadenza::ml::Interactions::from_pairs(weighted, n_users, n_items);
  };

  std::vector<Row> rows;
  auto on_valid = [&](const std::function<std::vector<float>(int)>& f) {
    return evaluate(n_users, f, split.valid, split.train, nullptr, threads);
  };
  auto on_test = [&](const std::function<std::vector<float>(int)>& f) {
    return evaluate(n_users, f, split.test, split.train, &split.valid, threads);
  };

  // Popularity: train interactions per item.
  {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<float> pop(std::size_t(n_items), 0.0f);
    for (auto i : train.items()) pop[std::size_t(i)] += 1;
    double fit = seconds_since(t0);
    rows.push_back({"popularity", on_test([&](int) { return pop; }), fit, ""});
  }

  // BPR-MF: early stopping on validation NDCG@10, checked every 5 epochs.
  if (bpr) {
    auto t0 = std::chrono::steady_clock::now();
    Bpr m;
    m.n_items = n_items;
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> init(0.0f, 0.1f);
    m.p.resize(std::size_t(n_users) * m.d);
    m.q.resize(std::size_t(n_items) * m.d);
    for (auto& v : m.p) v = init(rng);
    for (auto& v : m.q) v = init(rng);
    Bpr best = m;
    double best_ndcg = -1;
    int best_epoch = 0, stale = 0;
    for (int epoch = 1; epoch <= bpr_epochs; ++epoch) {
      bpr_epoch(m, split.train, train_pairs, rng, bpr_lr, bpr_reg);
      if (epoch % 10 != 0 && epoch != bpr_epochs) continue;
      double ndcg = on_valid([&](int u) { return m.scores(u); }).ndcg;
      if (ndcg > best_ndcg) {
        best_ndcg = ndcg, best = m, best_epoch = epoch, stale = 0;
      } else if (++stale >= 2) {
        break;
      }
    }
    double fit = seconds_since(t0);
    char note[96];
    std::snprintf(note, sizeof note, "d=64, best epoch %d (valid NDCG@10 %.4f)", best_epoch, best_ndcg);
    rows.push_back({"BPR-MF", on_test([&](int u) { return best.scores(u); }), fit, note});
  }

  // EASE^R per input weighting: lambda (relative to the mean squared weight, so one grid fits every
  // weighting), dropout and popularity exponent by validation NDCG@10, then the test split. With binary
  // input the best of dropout 0 and beta 0 is reported too: EASE^R as published.
  for (const auto& weighting : weightings) {
    const auto train_weighted = train_with(weighting);
    double mean_w2 = 0;
    for (float w : train_weighted.weights()) mean_w2 += double(w) * double(w);
    mean_w2 /= double(std::max<std::size_t>(1, train_weighted.nnz()));
    std::vector<double> norm2(static_cast<std::size_t>(n_items), 0.0);
    for (std::size_t p = 0; p < train_weighted.nnz(); ++p)
      norm2[std::size_t(train_weighted.items()[p])] += double(train_weighted.weights()[p]) * double(train_weighted.weights()[p]);
    cadenza::ml::EaseModel best, plain;
    double best_ndcg = -1, best_fit = 0, plain_ndcg = -1, plain_fit = 0, plain_lambda = 0, grid_s = 0;
    std::printf("EASE grid, %s input (validation):\n", weighting.c_str());
    for (double dropout : dropouts)
      for (double relative : lambdas) {
        const double lambda = relative * mean_w2;
        auto t0 = std::chrono::steady_clock::now();
        auto model = cadenza::ml::EaseModel::fit(train_weighted, {lambda, threads, dropout});
        double fit = seconds_since(t0);
        double model_best = -1, model_beta = 0;
        // Every beta from one scoring pass: (1 + |x_j|^2)^-beta, as EaseModel applies it.
        std::vector<std::vector<float>> scales;
        for (double beta : betas) {
          scales.emplace_back(norm2.size());
          for (std::size_t j = 0; j < norm2.size(); ++j) scales.back()[j] = float(std::pow(1.0 + norm2[j], -beta));
        }
        auto valid = evaluate_scaled(n_users, [&](int u) { return model.scores(u); }, split.valid, split.train, nullptr,
                                     threads, scales);
        for (std::size_t b = 0; b < betas.size(); ++b) {
          const double beta = betas[b];
          const auto& v = valid[b];
          std::printf("  lambda %7.1f dropout %.2f beta %.2f: valid Recall@10 %.4f NDCG@10 %.4f  fit %.2f s\n", lambda,
                      dropout, beta, v.recall, v.ndcg, fit);
          if (v.ndcg > model_best) model_best = v.ndcg, model_beta = beta;
          if (weighting == "binary" && dropout == 0 && beta == 0 && v.ndcg > plain_ndcg)
            plain_ndcg = v.ndcg, plain_fit = fit, plain_lambda = lambda;
        }
        grid_s += seconds_since(t0);
        if (model_best > best_ndcg) {
          model.set_popularity_exponent(model_beta);
          best_ndcg = model_best, best = std::move(model), best_fit = fit;
        }
      }
    char note[160];
    if (plain_ndcg >= 0) {
      plain = cadenza::ml::EaseModel::fit(train_weighted, {plain_lambda, threads});
      std::snprintf(note, sizeof note, "lambda=%g", plain.lambda());
      rows.push_back({"EASE^R", on_test([&](int u) { return plain.scores(u); }), plain_fit, note});
    }
    std::snprintf(note, sizeof note, "%s input, lambda=%g dropout=%g beta=%g (grid of %zu: %.1f s)", weighting.c_str(),
                  best.lambda(), best.dropout(), best.popularity_exponent(),
                  lambdas.size() * dropouts.size() * betas.size(), grid_s);
    rows.push_back({weighting == "binary" ? "EASE^R+EDLAE+pop" : "  " + weighting + " counts",
                    on_test([&](int u) { return best.scores(u); }), best_fit, note});
  }

  // The engine's own class: CollabModel::train on the train split as listens, CollabModel::scores to rank.
  if (collab) {
    std::vector<cadenza::store::Track> artists(static_cast<std::size_t>(n_items));
    char id[64];
    for (int j = 0; j < n_items; ++j) {
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", j);
      artists[std::size_t(j)].id = id;
      artists[std::size_t(j)].title = "artist " + std::to_string(table.item_ids[std::size_t(j)]);
      artists[std::size_t(j)].artist = artists[std::size_t(j)].title;
    }
    std::vector<std::string> item_track(static_cast<std::size_t>(n_items));
    for (int j = 0; j < n_items; ++j) item_track[std::size_t(j)] = artists[std::size_t(j)].id;
    const auto catalog = cadenza::recommend::Catalog::from_tracks(artists);
    std::vector<std::size_t> index_of(static_cast<std::size_t>(n_items));  // item -> catalogue index
    for (int j = 0; j < n_items; ++j) index_of[std::size_t(j)] = *catalog->find(item_track[std::size_t(j)]);
    for (bool counts : {false, true}) {
      std::vector<std::vector<cadenza::store::TrackPlayStats>> plays(static_cast<std::size_t>(n_users));
      std::vector<cadenza::store::TrackPlayStats> all;
      for (int u = 0; u < n_users; ++u) {
        for (std::size_t p = 0; p < table.items_per_user[u].size(); ++p) {
          const auto item = table.items_per_user[u][p];
          if (!std::binary_search(split.train[u].begin(), split.train[u].end(), item)) continue;
          const auto n = static_cast<std::int64_t>(std::llround(table.counts_per_user[u][p]));
          cadenza::store::TrackPlayStats s{"user-" + std::to_string(table.user_ids[std::size_t(u)]),
                                           item_track[std::size_t(item)], counts ? n : 1, counts ? n : 0, 0, 0, 0};
          plays[std::size_t(u)].push_back(s);
          all.push_back(std::move(s));
        }
      }
      auto t0 = std::chrono::steady_clock::now();
      auto model = cadenza::recommend::CollabModel::train(all, {.lambda = collab_lambda, .threads = threads});
      const double fit = seconds_since(t0);
      const auto m = model->metrics();
      auto scorer = [&](int u) {
        auto by_index = model->scores(*catalog, plays[std::size_t(u)]);
        std::vector<float> s(static_cast<std::size_t>(n_items));
        for (int j = 0; j < n_items; ++j) s[std::size_t(j)] = by_index[index_of[std::size_t(j)]];
        return s;
      };
      char note[200];
      std::snprintf(note, sizeof note, "CollabModel::train, lambda=%g, %s; %d x %d fitted; own 80/20 check Recall@10 %.4f",
                    collab_lambda, counts ? "counts as completed plays" : "plays=1 (binary)",
                    m["profiles"].get<int>(), m["tracks"].get<int>(), m["evaluation"]["recall"].get<double>());
      rows.push_back({counts ? "  as completed" : "CollabModel", on_test(scorer), fit, note});
    }
  }

  const RankingMetrics* bpr_row = nullptr;
  for (auto& r : rows)
    if (r.name == "BPR-MF") bpr_row = &r.test;
  std::printf("\ntest split, full ranking, %zu users, k = %d\n", rows.front().test.users, kTopK);
  std::printf("%-17s %9s %9s %9s %9s %9s %8s %10s %8s  %s\n", "model", "Recall@10", "NDCG@10", "MRR@10", "Hit@10",
              "P@10", "fit s", "/LightGCN", "/BPR-MF", "");
  for (auto& r : rows) {
    std::printf("%-17s %9.4f %9.4f %9.4f %9.4f %9.4f %8.2f %10.3f ", r.name.c_str(), r.test.recall, r.test.ndcg,
                r.test.mrr, r.test.hit, r.test.precision, r.fit_s, r.test.recall / kLightGcnRecall10);
    if (bpr_row) std::printf("%8.3f  %s\n", r.test.recall / bpr_row->recall, r.note.c_str());
    else std::printf("%8s  %s\n", "-", r.note.c_str());
  }
  std::printf("published (RecBole-GNN): LightGCN Recall@10 0.2064 NDCG@10 0.1972; BPR 0.1761 / 0.1674\n");
  std::printf("whole bench: %.1f s\n", seconds_since(bench_start));
}
