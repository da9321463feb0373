#include "cadenza/transcribe/transcriber.hpp"

#include <algorithm>
#include <tuple>

#include "cadenza/core/error.hpp"

namespace cadenza::transcribe {
namespace {

void check_options(const NoteOptions& o) {
  Validation v;
  validate(o, v);
  v.throw_if_failed("Invalid transcription options");
}

}  // namespace

Transcriber::Transcriber(const TranscriberOptions& options)
    : net_(std::make_unique<ml::BasicPitchNet>(
          ml::BasicPitchOptions{options.models_dir, options.threads, options.batch_windows})),
      keep_activations_(options.keep_activations) {}

Transcriber::~Transcriber() = default;

std::vector<NoteEvent> Transcriber::notes_from_output(const ml::BasicPitchOutput& out, const NoteOptions& options) {
  check_options(options);
  auto notes = output_to_notes_polyphonic(out.frames, out.onsets, out.n_frames, options);
  if (options.include_pitch_bends) add_pitch_bends(out.contours, out.n_frames, notes);
  std::stable_sort(notes.begin(), notes.end(), [](const FrameNote& a, const FrameNote& b) {
    return std::tie(a.start_frame, a.pitch, a.end_frame) < std::tie(b.start_frame, b.pitch, b.end_frame);
  });
  return to_note_events(std::move(notes));
}

Result Transcriber::run(const std::vector<float>& mono22k, const NoteOptions& options, const Progress& progress,
                        const CancelCheck& cancelled) const {
  check_options(options);
  if (mono22k.empty()) throw Error{ErrorKind::Unprocessable, "the audio is empty"};
  if (ml::BasicPitchNet::output_frames(mono22k.size()) < 1)
    throw Error{ErrorKind::Unprocessable, "the audio is too short to transcribe"};
  auto report = [&](double f, std::string_view stage) {
    if (progress) progress(std::clamp(f, 0.0, 1.0), stage);
  };
  report(0.0, "inference");
  Result r;
  r.model = net_->infer(mono22k, [&](double f) { report(0.95 * f, "inference"); }, cancelled);
  r.n_frames = r.model.n_frames;
  if (cancelled && cancelled()) throw ml::Cancelled{};
  report(0.95, "notes");
  r.notes = notes_from_output(r.model, options);
  if (!keep_activations_) r.model = ml::BasicPitchOutput{r.model.n_frames, {}, {}, {}};
  report(1.0, "done");
  return r;
}

}  // namespace cadenza::transcribe
