#pragma once
// CollabModel: the tenant's collaborative model, EASE^R (ml/ease.hpp, dual form) trained on every profile's
// listening history, with the track ids of its items so that it outlives catalogue changes (a track that is
// gone is skipped, a new one scores 0 until the next training).
//
// Input weights per (profile, track): 1 + log(1 + completed / 30) for a track the profile played at least once
// without skipping it every time (near 1 for a few plays, growing slowly for a track played hundreds of
// times); tracks only ever skipped are left out (they are not a taste). Profiles and tracks with fewer than
// kMinItems / kMinUsers interactions are left out of the fit. The fit is EASE^R with EDLAE's dropout emphasis
// (p 0.7) and lambda relative to the mean squared input weight, ranked with a popularity exponent of 0.2: the
// settings bench/recommend chose on Last.fm 2K's validation split (Recall@10 0.2174 with play counts as input,
// against LightGCN's published 0.2064).
//
// Metrics (recorded with the model, shown by GET /api/admin/models): before the final fit on everything, a
// fit on RecBole's per-profile 80/20 ratio split (seed 1) is scored on the held-out 20 %: Recall@10 and
// NDCG@10, beside the same metrics for ranking by popularity, so a model can be judged against the
// simplest baseline.
//
// Scoring a profile uses its current plays (listens since the training count), through EaseModel::scores_for.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cadenza/core/progress.hpp"
#include "cadenza/ml/ease.hpp"
#include "cadenza/recommend/catalog.hpp"
#include "cadenza/store/listen_repo.hpp"

namespace cadenza::recommend {

constexpr int kMinItems = 2;  // a profile needs at least this many tracks to be part of the fit
constexpr int kMinUsers = 2;  // a track needs at least this many profiles

struct CollabOptions {
  double lambda = 60.0;  // EASE's L2 weight relative to the mean squared input weight; recommend.ease_lambda
  double dropout = 0.7;  // EDLAE's dropout emphasis (ml::EaseOptions::dropout)
  double popularity_exponent = 0.2;  // ranking's long-tail lift (ml::EaseOptions::popularity_exponent)
  int threads = 1;
};

class CollabModel {
 public:
  // Error(Unprocessable) "not enough listening data" when fewer than 2 profiles or 2 tracks remain. Stages
  // "evaluate" (the split fit) and "fit"; `cancelled` throws ml::Cancelled between and inside the fits.
  static std::shared_ptr<const CollabModel> train(const std::vector<store::TrackPlayStats>& stats,
                                                  const CollabOptions& options, const Progress& progress = {},
                                                  const CancelCheck& cancelled = {});

  // One score per catalogue index for a profile with these plays (zeros when none of them is in the model).
  std::vector<float> scores(const Catalog& catalog, const std::vector<store::TrackPlayStats>& plays) const;

  // Profiles of the training data that played each track, per catalogue index (0 for tracks it does not know).
  std::vector<float> popularity(const Catalog& catalog) const;

  nlohmann::json metrics() const { return metrics_; }  // {profiles, tracks, interactions, seconds, recall10, ...}
  std::size_t tracks() const { return track_ids_.size(); }

  // <path> (the EASE file) and <path>.json (the track ids and the metrics), both written atomically.
  void save(const std::filesystem::path& path) const;
  static std::shared_ptr<const CollabModel> load(const std::filesystem::path& path);

 private:
  ml::EaseModel ease_;
  std::vector<std::string> track_ids_;                      // item j's track
  std::unordered_map<std::string, std::int32_t> item_of_;   // track id -> item
  nlohmann::json metrics_ = nlohmann::json::object();
  // Catalogue index of each item for the last catalogue version seen (-1: not in it).
  mutable std::mutex map_mutex_;
  mutable std::int64_t mapped_version_ = -1;
  mutable const Catalog* mapped_catalog_ = nullptr;
  mutable std::vector<std::int32_t> catalog_index_;
  mutable std::vector<float> popularity_;  // per catalogue index, for that version
  void map_to(const Catalog& catalog) const;  // under map_mutex_
};

// Weight of a (profile, track) pair as described above; 0 = left out.
float interaction_weight(const store::TrackPlayStats& s);

}  // namespace cadenza::recommend
