#pragma once
// The "train_generator" job kind (training lane): the transformer generator (generate/generator_training.hpp)
// trained on the symbolic corpus that config names (generate.nottingham_dir, generate.jsb_json), as
// `cadenza train-generator` does, started by the server's operator with POST /api/admin/generator/train.
//
//   payload  {"minutes": 40 | "steps": N, "tiny": false}
//   result   {"file", "steps", "seconds", "epochs", "parameters", "trainTokens", "validLosses": [...],
//             "validNll": {"perNote", "time", "pitch", "duration", "velocity", "type"}}
//
// The best checkpoint goes to <data_dir>/models/generator-<job id>.bin; it is not swapped in: set
// generate.transformer_weights to the file (and restart) to play the streams with it. A corpus that is not
// there fails the job with the paths it looked at. Cancel stops it within a step.
#include "cadenza/config/config.hpp"
#include "cadenza/jobs/job_kind.hpp"

namespace cadenza::pipeline {

inline constexpr const char* kTrainGeneratorKind = "train_generator";
jobs::JobKind train_generator_kind(const config::Config& config);

}  // namespace cadenza::pipeline
