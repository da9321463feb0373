#include "cadenza/recommend/collab_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "cadenza/core/atomic_file.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/ml/interactions.hpp"
#include "cadenza/ml/top_k.hpp"
#include "cadenza/recommend/ranking_metrics.hpp"
#include "cadenza/recommend/ratio_split.hpp"

namespace cadenza::recommend {

namespace {

constexpr int kEvalK = 10;
constexpr int kFileFormat = 1;

struct Data {
  std::vector<std::string> track_ids;
  std::vector<std::vector<std::int32_t>> items;  // per profile
  std::vector<std::vector<float>> weights;
};

// Profiles and tracks with enough interactions, as dense indices.
Data collect(const std::vector<store::TrackPlayStats>& stats) {
  std::map<std::string, std::vector<std::pair<std::string, float>>> by_profile;
  std::map<std::string, int> users_of_track;
  for (const auto& s : stats) {
    const float w = interaction_weight(s);
    if (w <= 0) continue;
    by_profile[s.profile_id].push_back({s.track_id, w});
  }
  for (const auto& [p, list] : by_profile)
    if (static_cast<int>(list.size()) >= kMinItems)
      for (const auto& [t, w] : list) ++users_of_track[t];
  Data d;
  std::unordered_map<std::string, std::int32_t> index;
  for (const auto& [t, users] : users_of_track) {
    if (users < kMinUsers) continue;
    index[t] = static_cast<std::int32_t>(d.track_ids.size());
    d.track_ids.push_back(t);
  }
  for (const auto& [p, list] : by_profile) {
    std::vector<std::int32_t> items;
    std::vector<float> weights;
    for (const auto& [t, w] : list) {
      auto it = index.find(t);
      if (it == index.end()) continue;
      items.push_back(it->second);
      weights.push_back(w);
    }
    if (static_cast<int>(items.size()) < kMinItems) continue;
    d.items.push_back(std::move(items));
    d.weights.push_back(std::move(weights));
  }
  return d;
}

ml::Interactions matrix(const std::vector<std::vector<std::int32_t>>& items, const Data& d,
                        const std::vector<std::vector<float>>* weights) {
  std::vector<ml::Interaction> pairs;
  for (std::size_t u = 0; u < items.size(); ++u)
    for (std::size_t k = 0; k < items[u].size(); ++k)
      pairs.push_back({static_cast<std::int32_t>(u), items[u][k], weights ? (*weights)[u][k] : 1.0f});
  return ml::Interactions::from_pairs(std::move(pairs), static_cast<std::int32_t>(items.size()),
                                      static_cast<std::int32_t>(d.track_ids.size()));
}

}  // namespace

float interaction_weight(const store::TrackPlayStats& s) {
  if (s.plays <= 0 || s.skipped >= s.plays) return 0.0f;
  return 1.0f + static_cast<float>(std::log1p(static_cast<double>(s.completed) / 30.0));
}

std::shared_ptr<const CollabModel> CollabModel::train(const std::vector<store::TrackPlayStats>& stats,
                                                      const CollabOptions& options, const Progress& progress,
                                                      const CancelCheck& cancelled) {
  const auto t0 = std::chrono::steady_clock::now();
  Data d = collect(stats);
  if (d.items.size() < 2 || d.track_ids.size() < 2) {
    throw Error(ErrorKind::Unprocessable,
                "not enough listening data to train: " + std::to_string(d.items.size()) + " profiles with " +
                    std::to_string(kMinItems) + "+ tracks and " + std::to_string(d.track_ids.size()) +
                    " tracks played by " + std::to_string(kMinUsers) + "+ profiles (2 of each needed)");
  }
  double squared = 0;
  std::size_t count = 0;
  for (const auto& ws : d.weights)
    for (float w : ws) squared += double(w) * w, ++count;
  ml::EaseOptions eo;
  eo.lambda = options.lambda * (count ? squared / double(count) : 1.0);
  eo.dropout = options.dropout;
  eo.popularity_exponent = options.popularity_exponent;
  eo.threads = options.threads;
  auto stage = [&](double lo, double hi, const char* name) {
    return Progress([&, lo, hi, name](double f, std::string_view) {
      if (progress) progress(lo + (hi - lo) * f, name);
    });
  };

  // Held-out evaluation on RecBole's 80/20 ratio split, against popularity.
  nlohmann::json m = nlohmann::json::object();
  {
    const auto split = split_by_ratio(d.items, 1, {0.8, 0.0, 0.2});
    std::vector<std::vector<float>> train_w(d.items.size());
    for (std::size_t u = 0; u < d.items.size(); ++u) {
      std::unordered_map<std::int32_t, float> w;
      for (std::size_t k = 0; k < d.items[u].size(); ++k) w[d.items[u][k]] = d.weights[u][k];
      for (auto j : split.train[u]) train_w[u].push_back(w[j]);
    }
    auto x = matrix(split.train, d, &train_w);
    auto model = ml::EaseModel::fit(x, eo, stage(0.0, 0.45, "evaluate"), cancelled);
    std::vector<float> pop(d.track_ids.size(), 0.0f);
    for (const auto& items : split.train)
      for (auto j : items) pop[j] += 1;
    MetricsMean ease_mean, pop_mean;
    for (std::size_t u = 0; u < d.items.size(); ++u) {
      if (split.test[u].empty()) continue;
      std::vector<std::int32_t> ranked;
      for (const auto& s : model.top_k(static_cast<std::int32_t>(u), kEvalK, true)) ranked.push_back(s.item);
      ease_mean.add(ranked, split.test[u], kEvalK);
      auto seen = split.train[u];
      std::sort(seen.begin(), seen.end());
      ranked.clear();
      for (const auto& s : ml::top_k_scores(pop, kEvalK, seen)) ranked.push_back(s.item);
      pop_mean.add(ranked, split.test[u], kEvalK);
    }
    const auto e = ease_mean.mean(), p = pop_mean.mean();
    m["evaluation"] = {{"split", "80/20 per profile, seed 1"}, {"profiles", e.users}, {"k", kEvalK},
                       {"recall", e.recall}, {"ndcg", e.ndcg}, {"popularityRecall", p.recall},
                       {"popularityNdcg", p.ndcg}};
  }

  auto out = std::shared_ptr<CollabModel>(new CollabModel());
  auto x = matrix(d.items, d, &d.weights);
  out->ease_ = ml::EaseModel::fit(x, eo, stage(0.45, 1.0, "fit"), cancelled);
  out->track_ids_ = std::move(d.track_ids);
  for (std::size_t j = 0; j < out->track_ids_.size(); ++j) out->item_of_[out->track_ids_[j]] = static_cast<std::int32_t>(j);
  m["profiles"] = x.n_users();
  m["tracks"] = x.n_items();
  m["interactions"] = x.nnz();
  m["lambda"] = options.lambda;
  m["dropout"] = options.dropout;
  m["popularityExponent"] = options.popularity_exponent;
  m["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out->metrics_ = std::move(m);
  return out;
}

std::vector<float> CollabModel::scores(const Catalog& catalog, const std::vector<store::TrackPlayStats>& plays) const {
  std::vector<float> out(catalog.size(), 0.0f);
  std::vector<std::int32_t> items;
  std::vector<float> weights;
  for (const auto& p : plays) {
    const float w = interaction_weight(p);
    auto it = item_of_.find(p.track_id);
    if (w <= 0 || it == item_of_.end()) continue;
    items.push_back(it->second);
    weights.push_back(w);
  }
  if (items.empty()) return out;
  // scores_for wants items in increasing order.
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return items[a] < items[b]; });
  std::vector<std::int32_t> si;
  std::vector<float> sw;
  for (auto k : order) si.push_back(items[k]), sw.push_back(weights[k]);
  const auto s = ease_.scores_for(si, sw);
  std::lock_guard lock(map_mutex_);
  map_to(catalog);
  for (std::size_t j = 0; j < s.size(); ++j)
    if (catalog_index_[j] >= 0) out[catalog_index_[j]] = s[j];
  return out;
}

void CollabModel::map_to(const Catalog& catalog) const {
  if (mapped_catalog_ == &catalog && mapped_version_ == catalog.version() && popularity_.size() == catalog.size()) return;
  catalog_index_.assign(track_ids_.size(), -1);
  for (std::size_t j = 0; j < track_ids_.size(); ++j)
    if (auto i = catalog.find(track_ids_[j])) catalog_index_[j] = static_cast<std::int32_t>(*i);
  popularity_.assign(catalog.size(), 0.0f);
  const auto& x = ease_.interactions();
  for (std::int32_t u = 0; u < x.n_users(); ++u)
    for (auto j : x.items_of(u))
      if (catalog_index_[j] >= 0) popularity_[catalog_index_[j]] += 1.0f;
  mapped_catalog_ = &catalog;
  mapped_version_ = catalog.version();
}

std::vector<float> CollabModel::popularity(const Catalog& catalog) const {
  std::lock_guard lock(map_mutex_);
  map_to(catalog);
  return popularity_;
}

void CollabModel::save(const std::filesystem::path& path) const {
  ease_.save(path);
  nlohmann::json j = {{"format", kFileFormat}, {"trackIds", track_ids_}, {"metrics", metrics_}};
  write_file_atomically(path.string() + ".json", j.dump());
}

std::shared_ptr<const CollabModel> CollabModel::load(const std::filesystem::path& path) {
  auto out = std::shared_ptr<CollabModel>(new CollabModel());
  out->ease_ = ml::EaseModel::load(path);
  std::ifstream in(path.string() + ".json");
  if (!in) throw Error(ErrorKind::Unavailable, "cannot read " + path.string() + ".json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || j.value("format", 0) != kFileFormat || !j.contains("trackIds") || !j["trackIds"].is_array())
    throw Error(ErrorKind::Unprocessable, path.string() + ".json is not a recommender model's track list");
  out->track_ids_ = j["trackIds"].get<std::vector<std::string>>();
  if (static_cast<std::int32_t>(out->track_ids_.size()) != out->ease_.n_items())
    throw Error(ErrorKind::Unprocessable, path.string() + ".json lists another number of tracks than the model has");
  for (std::size_t k = 0; k < out->track_ids_.size(); ++k) out->item_of_[out->track_ids_[k]] = static_cast<std::int32_t>(k);
  out->metrics_ = j.value("metrics", nlohmann::json::object());
  return out;
}

}  // namespace cadenza::recommend
