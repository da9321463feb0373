#pragma once
// What a pipeline reports and polls while it runs: the CLI plugs in its progress bar, a job kind its
// JobContext::progress and JobContext::cancelled.
#include "cadenza/core/progress.hpp"

namespace cadenza::pipeline {

struct Hooks {
  // The fraction done of the whole pipeline, never decreasing and 1 with the stage "done" at the end, and
  // the stage's name. Called on the calling thread or, one call at a time, on the model's workers.
  Progress progress;
  // Polled between stages, between batches of model windows and while LilyPond runs (a cancel takes
  // effect within about a second, decoding aside); once it returns true the pipeline throws ml::Cancelled.
  // Output files are written whole or not at all; those written before the cancel stay.
  CancelCheck cancelled;
};

}  // namespace cadenza::pipeline
