#pragma once
// The plumbing shared by the pipelines (private to src/pipeline): progress and cancellation, output files,
// loading the net.
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

#include "cadenza/core/atomic_file.hpp"
#include "cadenza/pipeline/hooks.hpp"
#include "cadenza/pipeline/transcribe_audio.hpp"

namespace cadenza::pipeline {

// One pipeline's progress: each step maps its own 0..1 onto its share of the whole, the whole never goes
// backwards (the model's workers may finish their windows out of order), and every report polls the
// cancel check first, so that a step that only reports progress (the notation engine) can be stopped too.
class Steps {
 public:
  explicit Steps(Hooks hooks) : hooks_(std::move(hooks)) {}
  Steps(const Steps&) = delete;
  Steps& operator=(const Steps&) = delete;

  // Throws ml::Cancelled once the cancel check returns true.
  void check() const;
  // check(), then reports `fraction` of the whole.
  void report(double fraction, std::string_view stage);
  // Progress of a step spanning [from, to] of the whole. The step's own "done" is left out: the whole goes on.
  Progress span(double from, double to);
  // The hooks of a nested pipeline spanning [from, to].
  Hooks part(double from, double to) { return {span(from, to), hooks_.cancelled}; }
  const CancelCheck& cancelled() const { return hooks_.cancelled; }

 private:
  Hooks hooks_;
  double done_ = 0;
};

// Writes dir/name atomically, creating dir when missing, and appends the path to `written`.
template <class Bytes>
void write_output(const std::filesystem::path& dir, std::string_view name, const Bytes& bytes,
                  std::vector<std::filesystem::path>& written) {
  std::filesystem::create_directories(dir);
  written.push_back(dir / name);
  write_file_atomically(written.back(), bytes);
}

// Checks the options, then loads the net (stage "loading"): bad options fail before the weights are read.
transcribe::Transcriber load_transcriber(const transcribe::TranscriberOptions& model, const TranscribeOptions& options,
                                         const Hooks& hooks);

}  // namespace cadenza::pipeline
