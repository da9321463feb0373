#include "cadenza/ml/tfjs_weights.hpp"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cadenza/core/error.hpp"

namespace cadenza::ml {
namespace {

constexpr const char* kPrefix = "StatefulPartitionedCall/model_1/";

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  if (!in)
    throw Error{ErrorKind::Unavailable, "model file " + p.string() +
                                            " is missing: run scripts/setup (it installs the pinned "
                                            "@spotify/basic-pitch package into models/node_modules)"};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

std::int64_t TfjsTensor::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

TfjsWeights TfjsWeights::load(const std::filesystem::path& dir) {
  const std::string text = read_all(dir / "model.json");
  nlohmann::json model;
  try {
    model = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw Error{ErrorKind::Unavailable, (dir / "model.json").string() + " is not valid JSON: " + e.what()};
  }
  TfjsWeights w;
  try {
    for (const auto& group : model.at("weightsManifest")) {
      std::string data;
      for (const auto& path : group.at("paths")) data += read_all(dir / path.get<std::string>());
      std::size_t offset = 0;
      for (const auto& spec : group.at("weights")) {
        std::string name = spec.at("name").get<std::string>();
        if (name.rfind(kPrefix, 0) == 0) name = name.substr(std::strlen(kPrefix));
        const std::string dtype = spec.at("dtype").get<std::string>();
        if (spec.contains("quantization"))
          throw Error{ErrorKind::Unavailable, "quantized weights are not supported: " + name};
        TfjsTensor t;
        for (const auto& d : spec.at("shape")) t.shape.push_back(d.get<std::int64_t>());
        const auto n = static_cast<std::size_t>(t.numel());
        if (offset + 4 * n > data.size())
          throw Error{ErrorKind::Unavailable, "weight shard is shorter than its manifest (at " + name + ")"};
        t.values.resize(n);
        if (dtype == "float32") {
          std::memcpy(t.values.data(), data.data() + offset, 4 * n);
        } else if (dtype == "int32") {
          for (std::size_t i = 0; i < n; ++i) {
            std::int32_t v;
            std::memcpy(&v, data.data() + offset + 4 * i, 4);
            t.values[i] = float(v);
          }
        } else {
          throw Error{ErrorKind::Unavailable, "unsupported weight dtype " + dtype + " for " + name};
        }
        offset += 4 * n;
        w.tensors_.emplace(std::move(name), std::move(t));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error{ErrorKind::Unavailable, (dir / "model.json").string() + ": bad weights manifest: " + e.what()};
  }
  return w;
}

bool TfjsWeights::has(const std::string& name) const { return tensors_.count(name) > 0; }

const TfjsTensor& TfjsWeights::get(const std::string& name, const std::vector<std::int64_t>& shape) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error{ErrorKind::Internal, "model weight " + name + " not found"};
  if (!shape.empty() && it->second.shape != shape)
    throw Error{ErrorKind::Internal, "model weight " + name + " has shape " + shape_str(it->second.shape) +
                                         ", expected " + shape_str(shape)};
  return it->second;
}

}  // namespace cadenza::ml
