#include "cadenza/transcribe/note_creation.hpp"

#include <algorithm>
#include <cmath>
#include <queue>

namespace cadenza::transcribe {
namespace {

constexpr int kMaxFreqIdx = 87;
constexpr double kSampleRate = 22050.0;
constexpr double kFftHop = 256.0;
constexpr int kAnnotNFrames = 172;         // 86 fps * 2 s
constexpr double kAudioNSamples = 43844.0;  // 2 s * 22050 - 256

double hz_to_midi(double hz) { return 12.0 * (std::log2(hz) - std::log2(440.0)) + 69.0; }

// numpy's round (half to even) for the frequency-limit and bend indices.
int np_round(double v) { return static_cast<int>(std::nearbyint(v)); }

}  // namespace

int NoteOptions::frames_from_ms(double ms) { return np_round(ms / 1000.0 * (kSampleRate / kFftHop)); }

void validate(const NoteOptions& o, Validation& v) {
  if (!(o.onset_threshold >= 0 && o.onset_threshold <= 1)) v.fail("onset_threshold", "must be between 0 and 1");
  if (!(o.frame_threshold >= 0 && o.frame_threshold <= 1)) v.fail("frame_threshold", "must be between 0 and 1");
  if (!(o.min_note_ms >= 0 && o.min_note_ms <= 60000)) v.fail("min_note_ms", "must be 0..60000 ms");
  if (o.energy_tolerance < 1 || o.energy_tolerance > 10000) v.fail("energy_tolerance", "must be 1..10000");
  if (o.min_freq_hz && !(*o.min_freq_hz > 0)) v.fail("min_freq", "must be a positive frequency in Hz");
  if (o.max_freq_hz && !(*o.max_freq_hz > 0)) v.fail("max_freq", "must be a positive frequency in Hz");
}

double model_frame_to_time(std::int64_t frame) {
  const double window_offset = (kFftHop / kSampleRate) * (kAnnotNFrames - (kAudioNSamples / kFftHop)) + 0.0018;
  const double original = double(frame * std::int64_t(kFftHop)) / kSampleRate;
  return original - window_offset * std::floor(double(frame) / kAnnotNFrames);
}

std::vector<NoteEvent> to_note_events(std::vector<FrameNote> notes) {
  std::vector<NoteEvent> out;
  out.reserve(notes.size());
  for (auto& n : notes)
    out.push_back({n.pitch, model_frame_to_time(n.start_frame), model_frame_to_time(n.end_frame), n.amplitude,
                   std::move(n.bends)});
  return out;
}

std::vector<FrameNote> output_to_notes_polyphonic(const std::vector<float>& frames_in,
                                                  const std::vector<float>& onsets_in, std::int64_t n_frames,
                                                  const NoteOptions& opt) {
  std::vector<FrameNote> notes;
  const int min_frames = opt.min_note_frames();
  if (n_frames <= 0) return notes;
  const std::size_t cells = std::size_t(n_frames) * kNoteBins;
  std::vector<float> frames(frames_in.begin(), frames_in.begin() + std::ptrdiff_t(cells));
  std::vector<double> onsets(onsets_in.begin(), onsets_in.begin() + std::ptrdiff_t(cells));
  auto at = [](std::int64_t t, int f) { return std::size_t(t) * kNoteBins + std::size_t(f); };

  // Frequency limits: zero the activations outside [min_freq, max_freq).
  auto zero_bins = [&](int from, int to) {
    from = std::clamp(from, 0, kNoteBins);
    to = std::clamp(to, 0, kNoteBins);
    for (std::int64_t t = 0; t < n_frames; ++t)
      for (int f = from; f < to; ++f) frames[at(t, f)] = 0.f, onsets[at(t, f)] = 0.0;
  };
  if (opt.max_freq_hz) zero_bins(np_round(hz_to_midi(*opt.max_freq_hz) - kMidiOffset), kNoteBins);
  if (opt.min_freq_hz) zero_bins(0, np_round(hz_to_midi(*opt.min_freq_hz) - kMidiOffset));

  // Inferred onsets: min over n = 1, 2 of frames[t] - frames[t - n], rescaled to the onsets' max.
  if (opt.infer_onsets) {
    constexpr int n_diff = 2;
    std::vector<double> diff(cells, 0.0);
    double diff_max = 0.0, onset_max = 0.0;
    for (double v : onsets) onset_max = std::max(onset_max, v);
    for (std::int64_t t = n_diff; t < n_frames; ++t)
      for (int f = 0; f < kNoteBins; ++f) {
        double d = 1e300;
        for (int n = 1; n <= n_diff; ++n) d = std::min(d, double(frames[at(t, f)]) - double(frames[at(t - n, f)]));
        d = std::max(d, 0.0);
        diff[at(t, f)] = d;
        diff_max = std::max(diff_max, d);
      }
    if (diff_max > 0.0)
      for (std::size_t i = 0; i < cells; ++i) onsets[i] = std::max(onsets[i], onset_max * diff[i] / diff_max);
  }

  // Onset peaks (scipy.signal.argrelmax along time, edges excluded), newest first.
  std::vector<double> remaining(frames.begin(), frames.end());
  for (std::int64_t t = n_frames - 1; t >= 0; --t) {
    for (int f = kNoteBins - 1; f >= 0; --f) {
      const bool peak = t > 0 && t + 1 < n_frames && onsets[at(t, f)] > onsets[at(t - 1, f)] &&
                        onsets[at(t, f)] > onsets[at(t + 1, f)];
      const double value = peak ? onsets[at(t, f)] : 0.0;
      if (!(value >= opt.onset_threshold)) continue;
      if (t >= n_frames - 1) continue;
      std::int64_t i = t + 1;
      int k = 0;
      while (i < n_frames - 1 && k < opt.energy_tolerance) {
        k = remaining[at(i, f)] < opt.frame_threshold ? k + 1 : 0;
        ++i;
      }
      i -= k;
      if (i - t <= min_frames) continue;
      double sum = 0.0;
      for (std::int64_t j = t; j < i; ++j) {
        remaining[at(j, f)] = 0.0;
        if (f < kMaxFreqIdx) remaining[at(j, f + 1)] = 0.0;
        if (f > 0) remaining[at(j, f - 1)] = 0.0;
        sum += frames[at(j, f)];
      }
      FrameNote n;
      n.start_frame = int(t);
      n.end_frame = int(i);
      n.pitch = f + kMidiOffset;
      n.amplitude = sum / double(i - t);
      notes.push_back(std::move(n));
    }
  }

  if (!opt.melodia_trick) return notes;

  // Melodia trick: repeatedly take the global maximum of the remaining energy and follow it forwards
  // and backwards. Values only ever drop to 0, so a max-heap with lazy invalidation yields the same
  // sequence of maxima as numpy's argmax (ties: lowest flat index first).
  using Entry = std::pair<double, std::int64_t>;
  auto cmp = [](const Entry& a, const Entry& b) { return a.first < b.first || (a.first == b.first && a.second > b.second); };
  std::vector<Entry> init;
  for (std::size_t c = 0; c < cells; ++c)
    if (remaining[c] > opt.frame_threshold) init.emplace_back(remaining[c], std::int64_t(c));
  std::priority_queue<Entry, std::vector<Entry>, decltype(cmp)> heap(cmp, std::move(init));
  auto clear = [&](std::int64_t i, int f) {
    remaining[at(i, f)] = 0.0;
    if (f < kMaxFreqIdx) remaining[at(i, f + 1)] = 0.0;
    if (f > 0) remaining[at(i, f - 1)] = 0.0;
  };
  while (!heap.empty()) {
    const auto [value, cell] = heap.top();
    heap.pop();
    if (remaining[std::size_t(cell)] != value) continue;  // zeroed since it was pushed
    const std::int64_t i_mid = cell / kNoteBins;
    const int f = int(cell % kNoteBins);
    remaining[std::size_t(cell)] = 0.0;

    std::int64_t i = i_mid + 1;
    int k = 0;
    while (i < n_frames - 1 && k < opt.energy_tolerance) {
      k = remaining[at(i, f)] < opt.frame_threshold ? k + 1 : 0;
      clear(i, f);
      ++i;
    }
    const std::int64_t i_end = i - 1 - k;

    i = i_mid - 1;
    k = 0;
    while (i > 0 && k < opt.energy_tolerance) {
      k = remaining[at(i, f)] < opt.frame_threshold ? k + 1 : 0;
      clear(i, f);
      --i;
    }
    const std::int64_t i_start = i + 1 + k;
    if (i_end - i_start <= min_frames) continue;
    double sum = 0.0;
    for (std::int64_t j = i_start; j < i_end; ++j) sum += frames[at(j, f)];
    FrameNote n;
    n.start_frame = int(i_start);
    n.end_frame = int(i_end);
    n.pitch = f + kMidiOffset;
    n.amplitude = sum / double(i_end - i_start);
    notes.push_back(std::move(n));
  }
  return notes;
}

void add_pitch_bends(const std::vector<float>& contours, std::int64_t n_frames, std::vector<FrameNote>& notes,
                     int tol) {
  const int window = 2 * tol + 1;
  std::vector<double> gauss(std::size_t(window), 0.0);
  for (int n = 0; n < window; ++n) {
    const double x = (n - (window - 1) / 2.0) / 5.0;
    gauss[std::size_t(n)] = std::exp(-0.5 * x * x);
  }
  for (auto& note : notes) {
    const double hz = 440.0 * std::pow(2.0, (note.pitch - 69.0) / 12.0);
    const int fi = np_round(12.0 * 3 * std::log2(hz / 27.5));
    const int f_start = std::max(fi - tol, 0);
    const int f_end = std::min(kContourBins, fi + tol + 1);
    const int g_start = std::max(0, tol - fi);
    const int pb_shift = tol - std::max(0, tol - fi);
    note.bends.clear();
    const std::int64_t end = std::min<std::int64_t>(note.end_frame, n_frames);
    for (std::int64_t t = note.start_frame; t < end; ++t) {
      const float* row = contours.data() + std::size_t(t) * kContourBins;
      int best = 0;
      double best_v = -1.0;
      for (int c = f_start; c < f_end; ++c) {
        const double v = double(row[c]) * gauss[std::size_t(g_start + c - f_start)];
        if (v > best_v) best_v = v, best = c - f_start;
      }
      note.bends.push_back(best - pb_shift);
    }
  }
}

}  // namespace cadenza::transcribe
