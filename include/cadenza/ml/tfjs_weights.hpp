#pragma once
// Reads the weights of a TF.js graph model (model.json + weight shards) into plain float/int arrays,
// keyed by the node names of the weights manifest. Torch-free: the nets map them onto tensors.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cadenza::ml {

struct TfjsTensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // int32 constants are converted to float
  std::int64_t numel() const;
};

class TfjsWeights {
 public:
  // Loads <dir>/model.json and the shards it names. Throws cadenza::Error (Unavailable) when missing.
  static TfjsWeights load(const std::filesystem::path& dir);

  // The tensor whose manifest name ends with `suffix` after the common prefix
  // ("StatefulPartitionedCall/model_1/"). Throws Internal when absent or when `shape` mismatches.
  const TfjsTensor& get(const std::string& name, const std::vector<std::int64_t>& shape = {}) const;
  bool has(const std::string& name) const;
  std::size_t size() const { return tensors_.size(); }

 private:
  std::map<std::string, TfjsTensor> tensors_;
};

}  // namespace cadenza::ml
