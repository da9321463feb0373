#include "cadenza/notation/beat_tracker.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "cadenza/core/error.hpp"

namespace cadenza::notation {

namespace {

constexpr double kClusterWindow = 0.035;  // s: attacks closer than this form one onset
constexpr double kFrame = 0.005;          // s: resolution of the pulse tracker
constexpr double kChordShare = 0.35;      // what each further note of a chord adds to a downbeat accent

struct Onset {
  double time = 0;
  double strength = 0;
  std::vector<int> notes;  // indices into the sorted events
};

std::vector<Onset> cluster_onsets(const std::vector<NoteEvent>& ev) {
  std::vector<Onset> out;
  for (size_t i = 0; i < ev.size(); ++i) {
    if (out.empty() || ev[i].start - ev[out.back().notes.front()].start > kClusterWindow) out.push_back({});
    out.back().notes.push_back(static_cast<int>(i));
  }
  for (auto& o : out) {
    double sum = 0, vel = 0;
    for (int n : o.notes) {
      sum += ev[n].start;
      // Loudness in MIDI's 127 steps: notes engrave alike whether they come straight from the transcriber
      // or from the notes.mid it wrote.
      vel += midi_velocity(ev[n].velocity) / 127.0;
    }
    o.time = sum / o.notes.size();
    o.strength = std::sqrt(static_cast<double>(o.notes.size())) * (0.5 + vel / o.notes.size());
  }
  return out;
}

// The shortest inter-onset interval that is frequent: smallest strong peak of a log-time histogram.
double estimate_tatum(const std::vector<Onset>& on) {
  constexpr double lo = -3.7, hi = 1.2, step = 0.01, sigma = 0.035;  // log2 seconds
  const int bins = static_cast<int>((hi - lo) / step) + 1;
  std::vector<double> h(bins, 0.0);
  int used = 0;
  for (size_t i = 1; i < on.size(); ++i) {
    const double d = on[i].time - on[i - 1].time;
    if (d < 0.08 || d > 2.0) continue;
    ++used;
    const double x = std::log2(d);
    for (int b = std::max(0, static_cast<int>((x - lo - 4 * sigma) / step));
         b < bins && lo + b * step <= x + 4 * sigma; ++b) {
      const double z = (lo + b * step - x) / sigma;
      h[b] += std::exp(-0.5 * z * z);
    }
  }
  if (used == 0) {
    if (on.size() >= 2) return std::clamp((on.back().time - on.front().time) / (on.size() - 1), 0.15, 1.0);
    return 0.5;
  }
  const double top = *std::max_element(h.begin(), h.end());
  // The most frequent interval; a frequent interval of a half or a third of it is the finer
  // pulse (long-short jig rhythms, quarter-eighth-eighth marches). A most frequent interval
  // longer than a plausible pulse gives way to the shortest interval that is still frequent.
  int pick = static_cast<int>(std::max_element(h.begin(), h.end()) - h.begin());
  for (bool finer = true; finer;) {
    finer = false;
    for (double ratio : {2.0, 3.0}) {
      const int c = static_cast<int>(std::lround(pick - std::log2(ratio) / step));
      for (int b = std::max(1, c - 12); b <= std::min(bins - 2, c + 12) && !finer; ++b) {
        if (h[b] >= h[b - 1] && h[b] >= h[b + 1] && h[b] >= 0.35 * h[pick] && lo + b * step >= std::log2(0.1)) {
          pick = b;
          finer = true;
        }
      }
      if (finer) break;
    }
  }
  if (lo + pick * step > std::log2(0.7)) {
    for (int b = 1; b + 1 < bins; ++b) {
      if (h[b] >= h[b - 1] && h[b] >= h[b + 1] && h[b] >= 0.3 * top && lo + b * step >= std::log2(0.1)) {
        pick = b;
        break;
      }
    }
  }
  const double centre = std::exp2(lo + pick * step);
  // Refine with the mean of the intervals near the peak.
  double s = 0, w = 0;
  for (size_t i = 1; i < on.size(); ++i) {
    const double d = on[i].time - on[i - 1].time;
    if (std::abs(std::log2(d / centre)) < 0.1) s += d, w += 1;
  }
  return w > 0 ? s / w : centre;
}

// Dynamic-programming pulse tracker over states (frame, period); returns pulse times covering
// [first onset, last note end].
std::vector<double> track_pulse(const std::vector<Onset>& on, double period, double end_time) {
  const double t0 = on.front().time - 0.1;
  const double t1 = on.back().time + 0.1;
  const int frames = static_cast<int>((t1 - t0) / kFrame) + 2;
  std::vector<double> env(frames, 0.0);
  const double sigma = 0.025;
  for (const auto& o : on) {
    const int c = static_cast<int>(std::lround((o.time - t0) / kFrame));
    const int r = static_cast<int>(3 * sigma / kFrame);
    for (int f = std::max(0, c - r); f <= std::min(frames - 1, c + r); ++f) {
      const double z = (f * kFrame + t0 - o.time) / sigma;
      env[f] += o.strength * std::exp(-0.5 * z * z);
    }
  }
  constexpr int K = 16;          // periods span ±K steps
  constexpr double ratio = 1.015;
  const int P = 2 * K + 1;
  std::vector<int> lag(P);
  for (int k = 0; k < P; ++k) lag[k] = std::max(4, static_cast<int>(std::lround(period * std::pow(ratio, k - K) / kFrame)));
  const double neg = -std::numeric_limits<double>::infinity();
  std::vector<double> C(static_cast<size_t>(frames) * P, neg);
  std::vector<int> back(static_cast<size_t>(frames) * P, -1);
  const double change_cost = 0.35, shift_cost = 0.15, tempo_cost = 0.004;
  const int start_limit = static_cast<int>((on.front().time - t0) / kFrame) + lag[K] / 2;
  for (int f = 0; f < frames; ++f) {
    for (int k = 0; k < P; ++k) {
      double best = f <= start_limit ? 0.0 : neg;
      int arg = -1;
      for (int d = -2; d <= 2; ++d) {
        const int g = f - lag[k] + d;
        if (g < 0) continue;
        for (int kk = std::max(0, k - 1); kk <= std::min(P - 1, k + 1); ++kk) {
          const double v = C[static_cast<size_t>(g) * P + kk] - change_cost * std::abs(k - kk) - shift_cost * std::abs(d);
          if (v > best) best = v, arg = g * P + kk;
        }
      }
      if (best == neg) continue;
      C[static_cast<size_t>(f) * P + k] = best + env[f] - tempo_cost * (k - K) * (k - K) / 10.0;
      back[static_cast<size_t>(f) * P + k] = arg;
    }
  }
  // Best final state among frames near the last onset.
  const int last = static_cast<int>((on.back().time - t0) / kFrame);
  double best = neg;
  int arg = -1;
  for (int f = 0; f < frames; ++f) {
    for (int k = 0; k < P; ++k) {
      if (f < last - lag[k] / 2) continue;
      const double v = C[static_cast<size_t>(f) * P + k];
      if (v > best) best = v, arg = f * P + k;
    }
  }
  std::vector<double> pulses;
  for (int s = arg; s >= 0; s = back[s]) pulses.push_back(t0 + (s / P) * kFrame);
  std::reverse(pulses.begin(), pulses.end());
  // Snap each pulse to the onset centroid nearby (sub-frame precision, robust to the envelope).
  for (size_t i = 0; i < pulses.size(); ++i) {
    const double local = i + 1 < pulses.size() ? pulses[i + 1] - pulses[i] : period;
    double s = 0, w = 0;
    for (const auto& o : on) {
      if (std::abs(o.time - pulses[i]) < 0.2 * local) s += o.strength * o.time, w += o.strength;
    }
    if (w > 0) pulses[i] = 0.5 * pulses[i] + 0.5 * s / w;
  }
  for (size_t i = 1; i < pulses.size(); ++i) pulses[i] = std::max(pulses[i], pulses[i - 1] + 0.3 * period);
  if (pulses.size() < 2) pulses = {on.front().time, on.front().time + period};
  // Extrapolate backwards a little and forwards past the last note end.
  auto local_period = [&](bool front) {
    const size_t n = std::min<size_t>(4, pulses.size() - 1);
    return front ? (pulses[n] - pulses[0]) / n : (pulses.back() - pulses[pulses.size() - 1 - n]) / n;
  };
  const double pf = local_period(true);
  for (int i = 0; i < 16; ++i) pulses.insert(pulses.begin(), pulses.front() - pf);
  const double pb = local_period(false);
  while (pulses.back() < end_time + 4 * pb) pulses.push_back(pulses.back() + pb);
  return pulses;
}

double position_in(const std::vector<double>& pulses, double t) {
  if (t <= pulses.front()) return (t - pulses.front()) / (pulses[1] - pulses[0]);
  if (t >= pulses.back()) {
    const size_t n = pulses.size();
    return (n - 1) + (t - pulses.back()) / (pulses[n - 1] - pulses[n - 2]);
  }
  const size_t k = std::upper_bound(pulses.begin(), pulses.end(), t) - pulses.begin() - 1;
  return k + (t - pulses[k]) / (pulses[k + 1] - pulses[k]);
}

struct Hypothesis {
  TimeSignature time;
  int tatum = 12;  // divisions
};

// Metrical weight of tatum i (0 = downbeat) under a hypothesis: the number of metrical levels
// that have a boundary there.
std::vector<double> metrical_weights(const Hypothesis& h) {
  const int bar = h.time.bar_length();
  const int n = bar / h.tatum;
  const int beat = h.time.beat_length();
  const int sub = h.time.compound() ? beat / 3 : beat / 2;
  const bool halves = (h.time.beats == 4 && h.time.beat_type == 4) || (h.time.beats == 12);
  std::vector<double> w(n, 0.0);
  for (int i = 0; i < n; ++i) {
    const int pos = i * h.tatum;
    w[i] = 1.0 + (pos % sub == 0) + (pos % beat == 0) + (pos == 0) * 1.5 + (halves && pos % (bar / 2) == 0);
  }
  return w;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

double meter_prior(const TimeSignature& t) {
  if (t.beats == 4 && t.beat_type == 4) return 0.0;
  if (t.beats == 6 && t.beat_type == 8) return 0.0;
  if (t.beats == 3 && t.beat_type == 4) return -0.02;
  if (t.beats == 2 && t.beat_type == 4) return -0.04;
  return -0.06;
}

}  // namespace

double TimeGrid::tatum_position(double seconds) const { return position_in(tatums, seconds); }

double TimeGrid::seconds_at(double divisions) const {
  const double k = divisions / tatum_divisions;
  const size_t n = tatums.size();
  if (k <= 0) return tatums[0] + k * (tatums[1] - tatums[0]);
  if (k >= n - 1) return tatums[n - 1] + (k - (n - 1)) * (tatums[n - 1] - tatums[n - 2]);
  const size_t i = static_cast<size_t>(k);
  return tatums[i] + (k - i) * (tatums[i + 1] - tatums[i]);
}

double TimeGrid::bpm_at(double divisions) const {
  const double span = seconds_at(divisions + kDivisions) - seconds_at(divisions);
  return span > 0 ? 60.0 / span : 120.0;
}

TimeGrid track_time(const std::vector<NoteEvent>& input, const BeatTrackerOptions& options) {
  const auto ev = normalized(input);
  if (ev.empty()) throw Error{ErrorKind::Unprocessable, "no notes to engrave"};
  const auto on = cluster_onsets(ev);
  double end_time = 0;
  for (const auto& e : ev) end_time = std::max(end_time, e.end);
  const double period = estimate_tatum(on);
  auto pulses = track_pulse(on, period, end_time);

  // Accent per pulse: onsets near a pulse, weighted by note length, bass and chord changes.
  const int first_index = static_cast<int>(std::lround(position_in(pulses, on.front().time)));
  const int count = static_cast<int>(pulses.size());
  std::vector<double> accent(count, 0.0);
  // A second accent for the downbeat among the beats: a chord counts as one accent (its further notes
  // add a little), and a bass note clearly below the lowest notes around it (the "oom" of
  // oom-pah-pah, a bass under held chords) marks a downbeat.
  std::vector<double> downbeat_accent(count, 0.0);
  std::vector<int> lowest_of(on.size(), 128);
  for (size_t i = 0; i < on.size(); ++i)
    for (int n : on[i].notes) lowest_of[i] = std::min(lowest_of[i], ev[n].pitch);
  std::vector<int> prev_classes;
  size_t lo_win = 0, hi_win = 0;
  for (size_t oi = 0; oi < on.size(); ++oi) {
    const auto& o = on[oi];
    const double pos = position_in(pulses, o.time);
    const int k = static_cast<int>(std::lround(pos));
    while (on[lo_win].time < o.time - 3.0) ++lo_win;
    while (hi_win < on.size() && on[hi_win].time <= o.time + 3.0) ++hi_win;
    if (std::abs(pos - k) > 0.22 || k < 0 || k >= count) continue;
    std::vector<int> around(lowest_of.begin() + lo_win, lowest_of.begin() + hi_win);
    std::nth_element(around.begin(), around.begin() + around.size() / 2, around.end());
    const int median_low = around[around.size() / 2];
    std::vector<double> weights;
    double a = 0.0;
    int lowest = 128;
    std::vector<int> classes;
    for (int n : o.notes) {
      const double len = std::max(0.0, position_in(pulses, ev[n].end) - pos);
      weights.push_back((0.4 + 0.6 * midi_velocity(ev[n].velocity) / 127.0) * (0.5 + std::log2(1.0 + std::min(len, 12.0))));
      a += weights.back();
      lowest = std::min(lowest, ev[n].pitch);
      classes.push_back(ev[n].pitch % 12);
    }
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    if (o.notes.size() >= 2 && classes != prev_classes) a += 0.5;
    if (o.notes.size() >= 2) prev_classes = classes;
    if (lowest < 55) a += 0.5;
    accent[k] += a;
    std::sort(weights.rbegin(), weights.rend());
    const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
    double d = weights.front() + kChordShare * (sum - weights.front()) + (a - sum);  // a - sum: the bonuses
    d += std::clamp((median_low - lowest) / 7.0, 0.0, 1.0);
    downbeat_accent[k] += d;
  }
  int last_index = first_index;
  for (const auto& e : ev) last_index = std::max(last_index, static_cast<int>(std::lround(position_in(pulses, e.start))));

  std::vector<Hypothesis> hyps;
  const TimeSignature sigs[] = {{2, 4}, {3, 4}, {4, 4}, {6, 8}, {9, 8}, {12, 8}};
  for (const auto& sig : sigs) {
    if (options.fixed_time && !(sig == options.time)) continue;
    for (int tatum : {6, 8, 12, 24}) {
      if (sig.bar_length() % tatum) continue;
      const int n = sig.bar_length() / tatum;
      if (n < 2 || n > 16) continue;
      if (sig.compound() && (tatum == 24 || tatum == 8)) continue;
      hyps.push_back({sig, tatum});
    }
  }
  if (options.fixed_time && hyps.empty()) {
    for (int tatum : {6, 12, 24})
      if (options.time.bar_length() % tatum == 0) hyps.push_back({options.time, tatum});
  }
  if (hyps.empty()) throw Error{ErrorKind::BadRequest, "unsupported time signature"};

  // Onset positions in tatums relative to the first onset's pulse.
  std::vector<double> rel_pos;
  for (const auto& o : on) rel_pos.push_back(position_in(pulses, o.time) - first_index);
  double best = -1e9;
  Hypothesis chosen = hyps.front();
  int chosen_phase = 0;
  std::vector<double> seg(accent.begin() + std::max(0, first_index), accent.begin() + std::min(count, last_index + 1));
  for (const auto& h : hyps) {
    const auto w = metrical_weights(h);
    const int n = static_cast<int>(w.size());
    const double beat_seconds = period * h.time.beat_length() / h.tatum;
    const double tempo_prior = -0.4 * std::pow(std::log2(beat_seconds / 0.59), 2.0);
    // The frequent short value is most often written as an eighth, then a quarter, then a 16th.
    // A triplet-eighth pulse needs to beat the plain readings clearly.
    const double value_prior = h.tatum == 12 ? 0.0 : (h.tatum == 24 ? -0.06 : (h.tatum == 8 ? -0.1 : -0.12));
    // Notational complexity: the share of onsets that need an unnatural beat division (triplets
    // in simple time, duplets in compound time) under this reading.
    const double beat_tatums = static_cast<double>(h.time.beat_length()) / h.tatum;
    const std::vector<int> natural = h.time.compound() ? std::vector<int>{3, 6} : std::vector<int>{2, 4};
    std::vector<double> odd_share(n, 0.0);
    for (int phase = 0; phase < n; ++phase) {
      int odd = 0;
      for (double p : rel_pos) {
        const double x = (p - phase) / beat_tatums;
        const double f = x - std::floor(x);
        bool fits = false;
        for (int parts : natural) fits |= std::abs(f * parts - std::round(f * parts)) < 0.07 * parts;
        odd += !fits;
      }
      odd_share[phase] = rel_pos.empty() ? 0.0 : static_cast<double>(odd) / rel_pos.size();
    }
    for (int phase = 0; phase < n; ++phase) {
      std::vector<double> pattern(seg.size());
      for (size_t i = 0; i < seg.size(); ++i) pattern[i] = w[((static_cast<int>(i) - phase) % n + n) % n];
      const double score = correlation(seg, pattern) + tempo_prior + value_prior + meter_prior(h.time) - 0.5 * odd_share[phase];
      if (score > best) best = score, chosen = h, chosen_phase = phase;
    }
  }

  // Which beat is the downbeat: among the phases on the chosen beat grid (whole beats apart, so the
  // rhythm reads the same), the one whose bar pattern fits the downbeat accent best.
  if (chosen.time.beat_length() % chosen.tatum == 0) {
    const auto w = metrical_weights(chosen);
    const int n = static_cast<int>(w.size());
    const int beat_tatums = chosen.time.beat_length() / chosen.tatum;
    std::vector<double> dseg(downbeat_accent.begin() + std::max(0, first_index), downbeat_accent.begin() + std::min(count, last_index + 1));
    double best_fit = -2.0;
    int best_phase = chosen_phase;
    for (int phase = chosen_phase % beat_tatums; phase < n; phase += beat_tatums) {
      std::vector<double> pattern(dseg.size());
      for (size_t i = 0; i < dseg.size(); ++i) pattern[i] = w[((static_cast<int>(i) - phase) % n + n) % n];
      const double fit = correlation(dseg, pattern);
      if (fit > best_fit) best_fit = fit, best_phase = phase;
    }
    chosen_phase = best_phase;
  }

  TimeGrid grid;
  grid.time = chosen.time;
  grid.tatum_divisions = chosen.tatum;
  const int n = chosen.time.bar_length() / chosen.tatum;
  // Score position 0 is the first onset's pulse; a downbeat later than that makes a pickup.
  const int pickup_tatums = chosen_phase % n;
  grid.pickup = static_cast<int64_t>(pickup_tatums) * chosen.tatum;
  grid.tatums.assign(pulses.begin() + first_index, pulses.end());
  if (grid.tatums.size() < 2) grid.tatums.push_back(grid.tatums.back() + period);
  return grid;
}

}  // namespace cadenza::notation
