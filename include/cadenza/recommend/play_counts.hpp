#pragma once
// Play-count tables such as HetRec 2011's Last.fm `user_artists.dat` ("userID<TAB>artistID<TAB>weight"
// with a header line), read into dense indices for offline evaluation and training. Torch-free.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace cadenza::recommend {

struct PlayCounts {
  // Dense indices in order of first appearance; the file's own ids are kept alongside.
  std::vector<std::int64_t> user_ids, item_ids;
  std::vector<std::vector<std::int32_t>> items_per_user;  // binarised: each (user, item) once
  std::vector<std::vector<double>> counts_per_user;       // the weights, same layout (summed if repeated)
  std::size_t n_interactions = 0;
};

// Throws Error(NotFound) when the file is missing and Error(BadRequest) naming the line that is malformed.
PlayCounts read_play_counts(const std::filesystem::path& path);

}  // namespace cadenza::recommend
