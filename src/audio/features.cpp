#include "cadenza/audio/features.hpp"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <numeric>

#include "cadenza/audio/resample.hpp"
#include "cadenza/core/error.hpp"

namespace cadenza::audio {
namespace {

constexpr int kFftSize = 2048;
constexpr int kHop = 256;
constexpr double kFps = double(kAnalysisRate) / kHop;  // 86.13 frames per second
constexpr double kPi = 3.14159265358979323846;

// An in-place iterative radix-2 FFT of one fixed size, with its twiddles and bit reversal computed once.
class Fft {
 public:
  explicit Fft(int n) : n_(n), twiddle_(std::size_t(n / 2)), reversed_(std::size_t(n)) {
    for (int k = 0; k < n / 2; ++k) twiddle_[std::size_t(k)] = std::polar(1.0f, float(-2 * kPi * k / n));
    int bits = 0;
    while ((1 << bits) < n) ++bits;
    for (int i = 0; i < n; ++i) {
      int r = 0;
      for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
      reversed_[std::size_t(i)] = r;
    }
  }
  void run(std::vector<std::complex<float>>& x) const {
    for (int i = 0; i < n_; ++i)
      if (i < reversed_[std::size_t(i)]) std::swap(x[std::size_t(i)], x[std::size_t(reversed_[std::size_t(i)])]);
    for (int len = 2; len <= n_; len <<= 1) {
      const int half = len / 2, step = n_ / len;
      for (int i = 0; i < n_; i += len)
        for (int j = 0; j < half; ++j) {
          // The products written out: std::complex's operator* checks for NaN and infinity (__mulsc3).
          const auto w = twiddle_[std::size_t(j * step)];
          auto& a = x[std::size_t(i + j)];
          auto& b = x[std::size_t(i + j + half)];
          const float tr = w.real() * b.real() - w.imag() * b.imag();
          const float ti = w.real() * b.imag() + w.imag() * b.real();
          b = {a.real() - tr, a.imag() - ti};
          a = {a.real() + tr, a.imag() + ti};
        }
    }
  }

 private:
  int n_;
  std::vector<std::complex<float>> twiddle_;
  std::vector<int> reversed_;
};

// The spectrum (bins 0..n/2) of n real samples through one complex FFT of n/2: even samples as the real
// parts, odd ones as the imaginary parts, then the two halves untangled.
class RealFft {
 public:
  explicit RealFft(int n) : n_(n), half_(n / 2), w_(std::size_t(n / 2)) {
    for (int k = 0; k < n / 2; ++k) w_[std::size_t(k)] = std::polar(1.0f, float(-2 * kPi * k / n));
  }
  // in: n samples; out: n/2 + 1 bins; z: scratch of n/2.
  void run(const float* in, std::vector<std::complex<float>>& z, std::vector<std::complex<float>>& out) const {
    for (int i = 0; i < half_; ++i) z[std::size_t(i)] = {in[2 * i], in[2 * i + 1]};
    half_fft_.run(z);
    out[0] = {z[0].real() + z[0].imag(), 0.f};
    out[std::size_t(half_)] = {z[0].real() - z[0].imag(), 0.f};
    for (int k = 1; k < half_; ++k) {
      const auto a = z[std::size_t(k)], b = std::conj(z[std::size_t(half_ - k)]);
      const float er = 0.5f * (a.real() + b.real()), ei = 0.5f * (a.imag() + b.imag());  // (a + b) / 2
      const float dr = 0.5f * (a.real() - b.real()), di = 0.5f * (a.imag() - b.imag());  // (a - b) / 2
      // odd part = (a - b) / (2i) = (di, -dr); times the twiddle
      const auto w = w_[std::size_t(k)];
      const float orr = w.real() * di + w.imag() * dr, oi = w.imag() * di - w.real() * dr;
      out[std::size_t(k)] = {er + orr, ei + oi};
    }
  }

 private:
  int n_, half_;
  std::vector<std::complex<float>> w_;
  Fft half_fft_{n_ / 2};
};

struct Ebur128Closer {
  void operator()(ebur128_state* s) const { ebur128_destroy(&s); }
};

void measure_loudness(const std::vector<float>& mono, int rate, AudioFeatures& out) {
  std::unique_ptr<ebur128_state, Ebur128Closer> st{
      ebur128_init(1, static_cast<unsigned long>(rate), EBUR128_MODE_I | EBUR128_MODE_LRA)};
  if (!st) throw Error(ErrorKind::Internal, "libebur128: cannot start a loudness measurement");
  const std::size_t block = 65536;
  for (std::size_t i = 0; i < mono.size(); i += block)
    ebur128_add_frames_float(st.get(), mono.data() + i, std::min(block, mono.size() - i));
  double lufs = -HUGE_VAL, lra = 0;
  if (ebur128_loudness_global(st.get(), &lufs) != EBUR128_SUCCESS || !std::isfinite(lufs)) lufs = -70;
  if (ebur128_loudness_range(st.get(), &lra) != EBUR128_SUCCESS || !std::isfinite(lra)) lra = 0;
  out.integrated_lufs = std::max(-70.0, lufs);
  out.loudness_range_lu = std::max(0.0, lra);
}

double percentile(std::vector<float> v, double q) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(q * double(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
  return v[k];
}

// Onset peaks of the normalised flux: a local maximum (±3 frames), above the mean of ±10 frames by 0.1 of
// the 95th percentile, at least 70 ms after the previous one.
std::size_t count_onsets(const std::vector<float>& flux) {
  const double scale = std::max(1e-6, percentile(flux, 0.95));
  const int n = static_cast<int>(flux.size());
  const int gap = static_cast<int>(std::ceil(0.070 * kFps));
  std::size_t count = 0;
  int last = -gap;
  for (int t = 0; t < n; ++t) {
    const double v = flux[std::size_t(t)];
    bool peak = v > 0;
    double sum = 0;
    int m = 0;
    for (int u = std::max(0, t - 10); u <= std::min(n - 1, t + 10); ++u) {
      if (std::abs(u - t) <= 3 && flux[std::size_t(u)] > v) peak = false;
      sum += flux[std::size_t(u)];
      ++m;
    }
    if (!peak || v < sum / m + 0.1 * scale || t - last < gap) continue;
    ++count;
    last = t;
  }
  return count;
}

void estimate_tempo(const std::vector<float>& flux, AudioFeatures& out) {
  const int n = static_cast<int>(flux.size());
  // Remove the local mean (±0.5 s) so that steady loudness does not look periodic.
  std::vector<double> x(static_cast<std::size_t>(n));
  const int w = static_cast<int>(kFps / 2);
  std::vector<double> prefix(std::size_t(n) + 1, 0);
  for (int i = 0; i < n; ++i) prefix[std::size_t(i) + 1] = prefix[std::size_t(i)] + flux[std::size_t(i)];
  for (int i = 0; i < n; ++i) {
    const int a = std::max(0, i - w), b = std::min(n, i + w + 1);
    x[std::size_t(i)] = std::max(0.0, flux[std::size_t(i)] - (prefix[std::size_t(b)] - prefix[std::size_t(a)]) / (b - a));
  }
  const int min_lag = static_cast<int>(std::floor(60.0 * kFps / 220.0));
  const int max_lag = static_cast<int>(std::ceil(60.0 * kFps / 40.0));
  if (n < 2 * max_lag) return;  // under ~3 s: no tempo
  auto acf = [&](int lag) {
    double s = 0;
    for (int i = 0; i + lag < n; ++i) s += x[std::size_t(i)] * x[std::size_t(i + lag)];
    return s / (n - lag);
  };
  const double zero = acf(0);
  if (zero <= 0) return;
  std::vector<double> r(std::size_t(max_lag) + 2, 0);
  for (int lag = min_lag - 1; lag <= max_lag + 1; ++lag) r[std::size_t(lag)] = acf(lag);
  int best = -1;
  double best_score = 0;
  for (int lag = min_lag; lag <= max_lag; ++lag) {
    const double v = r[std::size_t(lag)];
    if (v <= 0 || v < r[std::size_t(lag - 1)] || v < r[std::size_t(lag + 1)]) continue;  // local peaks only
    const double bpm = 60.0 * kFps / lag;
    const double octaves = std::log2(bpm / 120.0);
    const double score = v * std::exp(-0.5 * octaves * octaves);
    if (score > best_score) {
      best_score = score;
      best = lag;
    }
  }
  if (best < 0) return;
  const double a = r[std::size_t(best - 1)], b = r[std::size_t(best)], c = r[std::size_t(best + 1)];
  const double denom = a - 2 * b + c;
  const double shift = denom < 0 ? std::clamp(0.5 * (a - c) / denom, -0.5, 0.5) : 0.0;
  out.tempo_bpm = 60.0 * kFps / (best + shift);
  out.tempo_confidence = std::clamp(b / zero, 0.0, 1.0);
}

}  // namespace

AudioFeatures analyse_audio(const std::vector<float>& mono, int sample_rate, const AudioFeatureOptions& options) {
  if (sample_rate < 1000) throw Error(ErrorKind::Unprocessable, "audio features: bad sample rate");
  if (mono.empty()) throw Error(ErrorKind::Unprocessable, "audio features: no samples");
  AudioFeatures out;
  out.duration_s = double(mono.size()) / sample_rate;
  measure_loudness(mono, sample_rate, out);

  // The analysed window, from the middle.
  std::vector<float> part;
  const auto keep = static_cast<std::size_t>(std::max(1.0, options.max_analysis_s) * sample_rate);
  if (mono.size() > keep) {
    const auto start = (mono.size() - keep) / 2;
    part.assign(mono.begin() + std::ptrdiff_t(start), mono.begin() + std::ptrdiff_t(start + keep));
  } else {
    part = mono;
  }
  auto x = resample(part, sample_rate, kAnalysisRate);
  part.clear();
  part.shrink_to_fit();
  if (x.size() < std::size_t(kFftSize)) x.resize(std::size_t(kFftSize), 0.f);

  static const RealFft fft(kFftSize);
  static const std::vector<float> window = [] {
    std::vector<float> w(static_cast<std::size_t>(kFftSize));
    for (int i = 0; i < kFftSize; ++i) w[std::size_t(i)] = float(0.5 - 0.5 * std::cos(2 * kPi * i / kFftSize));
    return w;
  }();
  constexpr int kBins = kFftSize / 2 + 1;
  constexpr double kBinHz = double(kAnalysisRate) / kFftSize;
  const int flux_top = static_cast<int>(8000 / kBinHz);
  // Pitch class of each bin between 200 Hz and 5 kHz (-1 outside). Lower, a semitone is narrower than the
  // window's main lobe (10.8 Hz bins): a loud D2 bass would leak into F and read as D minor.
  static const std::vector<int> pitch_class = [] {
    std::vector<int> pc(static_cast<std::size_t>(kBins), -1);
    for (int k = 1; k < kBins; ++k) {
      const double f = k * kBinHz;
      if (f < 200 || f > 5000) continue;
      const int midi = static_cast<int>(std::lround(69 + 12 * std::log2(f / 440.0)));
      pc[std::size_t(k)] = ((midi % 12) + 12) % 12;
    }
    return pc;
  }();

  const std::size_t frames = 1 + (x.size() - std::size_t(kFftSize)) / kHop;
  const auto frames_per_segment = static_cast<std::size_t>(std::lround(kChromaSegmentS * kFps));
  std::vector<std::complex<float>> buf(static_cast<std::size_t>(kBins)), scratch(static_cast<std::size_t>(kFftSize / 2));
  std::vector<float> frame(static_cast<std::size_t>(kFftSize));
  std::vector<float> logmag(static_cast<std::size_t>(kBins)), prev(static_cast<std::size_t>(kBins), 0.f), flux;
  flux.reserve(frames);
  double centroid_sum = 0, energy_sum = 0;
  std::array<float, 12> segment{};
  for (std::size_t f = 0; f < frames; ++f) {
    const float* s = x.data() + f * kHop;
    for (int i = 0; i < kFftSize; ++i) frame[std::size_t(i)] = s[i] * window[std::size_t(i)];
    fft.run(frame.data(), scratch, buf);
    double num = 0, den = 0, energy = 0, fl = 0;
    for (int k = 0; k < kBins; ++k) {
      const auto& z = buf[std::size_t(k)];
      const float mag = std::sqrt(z.real() * z.real() + z.imag() * z.imag());
      const double p = double(mag) * mag;
      num += k * kBinHz * mag;
      den += mag;
      energy += p;
      if (pitch_class[std::size_t(k)] >= 0) segment[std::size_t(pitch_class[std::size_t(k)])] += float(p);
      const float lm = std::log1p(100.f * mag);
      if (k <= flux_top) fl += std::max(0.f, lm - prev[std::size_t(k)]);
      logmag[std::size_t(k)] = lm;
    }
    std::swap(prev, logmag);
    flux.push_back(f == 0 ? 0.f : float(fl));
    if (den > 0 && energy > 1e-8) {
      centroid_sum += energy * (num / den);
      energy_sum += energy;
    }
    if ((f + 1) % frames_per_segment == 0 || f + 1 == frames) {
      out.chroma.push_back(segment);
      segment.fill(0.f);
    }
  }
  out.centroid_hz = energy_sum > 0 ? centroid_sum / energy_sum : 0;
  out.onset_rate = double(count_onsets(flux)) / (double(x.size()) / kAnalysisRate);
  estimate_tempo(flux, out);
  return out;
}

}  // namespace cadenza::audio
