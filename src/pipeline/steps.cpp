#include "steps.hpp"

#include <algorithm>

#include "cadenza/ml/basic_pitch.hpp"

namespace cadenza::pipeline {

void Steps::check() const {
  if (hooks_.cancelled && hooks_.cancelled()) throw ml::Cancelled{};
}

void Steps::report(double fraction, std::string_view stage) {
  check();
  done_ = std::clamp(fraction, done_, 1.0);
  if (hooks_.progress) hooks_.progress(done_, stage);
}

Progress Steps::span(double from, double to) {
  return [this, from, to](double fraction, std::string_view stage) {
    if (stage != "done") report(from + (to - from) * std::clamp(fraction, 0.0, 1.0), stage);
  };
}

transcribe::Transcriber load_transcriber(const transcribe::TranscriberOptions& model, const TranscribeOptions& options,
                                         const Hooks& hooks) {
  validate(options);
  Steps{hooks}.report(0.0, "loading");
  return transcribe::Transcriber{model};
}

}  // namespace cadenza::pipeline
