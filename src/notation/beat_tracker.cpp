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

double meter_prior(const TimeSignature& t) {
  if (t.beats == 4 && t.beat_type == 4) return 0.0;
  if (t.beats == 6 && t.beat_type == 8) return 0.0;
  if (t.beats == 3 && t.beat_type == 4) return -0.02;
  if (t.beats == 2 && t.beat_type == 4) return -0.04;
  return -0.06;
}


// Mean 0, standard deviation 1 (all zeros when constant).
std::vector<double> standardized(const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  const double m = std::accumulate(v.begin(), v.end(), 0.0) / n;
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  const double sd = std::sqrt(ss / n);
  std::vector<double> out(v.size(), 0.0);
  if (sd > 1e-12)
    for (size_t i = 0; i < v.size(); ++i) out[i] = (v[i] - m) / sd;
  return out;
}

// What re-aligning the bar costs, in units of one pulse's standardized accent x weight.
// (Tuned on bench/notation_accuracy: 4 re-aligns on noise in chorales and syncopation; 35 misses splices.)
constexpr double kJumpCost = 20.0;
// What a reading loses when all its bass notes fall between beats (oom-pah-pah read at half speed puts
// every other "oom" on an off-beat eighth).
constexpr double kBassOffBeat = 0.6;

struct BarPath {
  double fit = -1e18;      // sum of za[k] * zw[state[k]] minus the jumps' cost, per pulse
  std::vector<int> state;  // bar position of each pulse; -1: an extra pulse that has none
};

// Viterbi over the bar position of each pulse: normally the next position (mod n); at a cost, a jump
// to any position (pulses missing: a pause, a splice) or staying put (an extra pulse, dropped).
BarPath align_bars(const std::vector<double>& za, const std::vector<double>& zw, double jump_cost) {
  const int n = static_cast<int>(zw.size());
  const size_t K = za.size();
  BarPath out;
  if (K == 0) {
    out.fit = 0;
    out.state = {0};
    return out;
  }
  // V[s]: best score with pulse k at position s; back: the previous pulse's position, or -2 - s for "pulse
  // k is extra and the bar stays at s".
  std::vector<double> V(n), next(n);
  std::vector<std::vector<int>> back(K, std::vector<int>(n, -1));
  std::vector<std::vector<char>> extra(K, std::vector<char>(n, 0));
  for (int s = 0; s < n; ++s) V[s] = za[0] * zw[s];
  for (size_t k = 1; k < K; ++k) {
    const int arg_all = static_cast<int>(std::max_element(V.begin(), V.end()) - V.begin());
    for (int s = 0; s < n; ++s) {
      const int p = (s - 1 + n) % n;
      double b = V[p];
      int from = p;
      if (V[arg_all] - jump_cost > b) b = V[arg_all] - jump_cost, from = arg_all;
      double e = za[k] * zw[s];
      // Pulse k extra: the bar stays at s, pulse k contributes nothing.
      if (V[s] - jump_cost > b + e) {
        next[s] = V[s] - jump_cost;
        back[k][s] = s;
        extra[k][s] = 1;
        continue;
      }
      next[s] = b + e;
      back[k][s] = from;
    }
    std::swap(V, next);
  }
  int s = static_cast<int>(std::max_element(V.begin(), V.end()) - V.begin());
  out.fit = V[s] / static_cast<double>(K);
  out.state.assign(K, 0);
  for (size_t k = K; k-- > 0;) {
    out.state[k] = extra[k][s] ? -1 : s;
    if (k > 0) s = back[k][s];
  }
  return out;
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
  double end_time = 0;
  for (const auto& e : ev) end_time = std::max(end_time, e.end);
  if (options.fixed_time && options.bpm && *options.bpm > 0) {  // known: nothing to track
    TimeGrid grid;
    grid.time = options.time;
    grid.tatum_divisions = kDivisions / 2;
    const double step = 30.0 / *options.bpm;  // an eighth note
    for (int i = 0; i * step <= end_time + 2 * step; ++i) grid.tatums.push_back(i * step);
    return grid;
  }
  const auto on = cluster_onsets(ev);
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
  // Bass notes (clearly below the lowest notes around them): they fall on beats, rarely between.
  std::vector<double> bass(count, 0.0);
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
    // A bass note: at least a fourth below the lowest notes of the chords before and after it.
    {
      auto chord_low = [&](int step) {  // the lowest note of the nearest chord that way within 1.5 s
        for (int j = static_cast<int>(oi) + step; j >= 0 && j < static_cast<int>(on.size()); j += step) {
          if (std::abs(on[j].time - o.time) > 1.5) break;
          if (on[j].notes.size() >= 2) return lowest_of[j];
        }
        return -1;
      };
      const int before = chord_low(-1), after = chord_low(1);
      if (before >= 0 && after >= 0 && lowest + 5 <= std::min(before, after)) bass[k] += 1.0;
    }
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
  const std::vector<double> seg(accent.begin() + std::max(0, first_index), accent.begin() + std::min(count, last_index + 1));
  const std::vector<double> dseg(downbeat_accent.begin() + std::max(0, first_index),
                                 downbeat_accent.begin() + std::min(count, last_index + 1));
  const auto za = standardized(seg);
  double best = -1e9;
  Hypothesis chosen = hyps.front();
  BarPath chosen_path;
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
        // Within a tolerance in tatums (the pulse's own timing noise), at most 0.3 of the grid's spacing.
        for (int parts : natural) {
          const double spacing = beat_tatums / parts;
          fits |= std::abs(f * parts - std::round(f * parts)) * spacing < std::min(0.14, 0.3 * spacing);
        }
        odd += !fits;
      }
      odd_share[phase] = rel_pos.empty() ? 0.0 : static_cast<double>(odd) / rel_pos.size();
    }
    // The bar position of every pulse, allowed to re-align where the performance lost or gained
    // pulses (a pause, a splice, a dropped beat); its fit per pulse is close to a correlation.
    auto path = align_bars(za, standardized(w), kJumpCost);
    const int phase = (n - path.state.front()) % n;
    // The share of bass notes between beats under this reading.
    double bass_all = 0, bass_off = 0;
    for (size_t k = 0; k < path.state.size(); ++k) {
      const double b = bass[std::max(0, first_index) + k];
      if (b == 0 || path.state[k] < 0) continue;
      bass_all += b;
      if ((path.state[k] * h.tatum) % h.time.beat_length() != 0) bass_off += b;
    }
    // Only where the texture has a bass of its own (oom-pah-pah, a band's bass line): at least one onset in
    // eight is such a bass note.
    const double bass_penalty = bass_all >= 8 && bass_all >= 0.125 * on.size() ? kBassOffBeat * bass_off / bass_all : 0.0;
    const double score = path.fit - bass_penalty + tempo_prior + value_prior + meter_prior(h.time) - 0.5 * odd_share[phase];
    if (score > best) best = score, chosen = h, chosen_path = std::move(path);
  }

  const auto w = metrical_weights(chosen);
  const int n = static_cast<int>(w.size());
  // Which beat is the downbeat: among the rotations of the path by whole beats (so the rhythm reads the
  // same), the one whose bar pattern fits the downbeat accent best.
  if (chosen.time.beat_length() % chosen.tatum == 0 && !dseg.empty()) {
    const int beat_tatums = chosen.time.beat_length() / chosen.tatum;
    const auto zd = standardized(dseg);
    const auto zw = standardized(w);
    double best_fit = -1e18;
    int best_shift = 0;
    for (int shift = 0; shift < n; shift += beat_tatums) {
      double fit = 0;
      for (size_t k = 0; k < zd.size(); ++k)
        if (chosen_path.state[k] >= 0) fit += zd[k] * zw[(chosen_path.state[k] + shift) % n];
      if (fit > best_fit) best_fit = fit, best_shift = shift;
    }
    for (auto& st : chosen_path.state)
      if (st >= 0) st = (st + best_shift) % n;
  }

  TimeGrid grid;
  grid.time = chosen.time;
  grid.tatum_divisions = chosen.tatum;
  // Score position 0 is the first onset's pulse; a downbeat later than that makes a pickup.
  grid.pickup = static_cast<int64_t>((n - chosen_path.state.front()) % n) * chosen.tatum;
  // The pulses with the path's re-alignments applied: a pulse the path skipped (an extra one) goes, and
  // where the path jumps ahead the missing tatums are spread over the gap before the pulse.
  grid.tatums.push_back(pulses[first_index]);
  int prev = chosen_path.state.front();
  for (size_t k = 1; k < chosen_path.state.size(); ++k) {
    const int st = chosen_path.state[k];
    const double t = pulses[first_index + k];
    if (st < 0) continue;  // an extra pulse
    const int missing = ((st - prev - 1) % n + n) % n;
    const double from = grid.tatums.back();
    for (int j = 1; j <= missing; ++j) grid.tatums.push_back(from + (t - from) * j / (missing + 1));
    grid.tatums.push_back(t);
    prev = st;
  }
  for (size_t k = first_index + chosen_path.state.size(); k < pulses.size(); ++k) grid.tatums.push_back(pulses[k]);
  if (grid.tatums.size() < 2) grid.tatums.push_back(grid.tatums.back() + period);
  return grid;
}

}  // namespace cadenza::notation
