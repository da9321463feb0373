#include "cadenza/notation/quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace cadenza::notation {

namespace {

constexpr double kSigmaTatum = 0.09;  // timing noise in tatums

// Cost of writing a beat with a subdivision: plain divisions are cheap, triplets need evidence.
double complexity(int parts, bool compound) {
  if (compound) {
    switch (parts) {
      case 1: return 0.0;
      case 3: return 1.5;
      case 6: return 4.0;
      default: return 6.0;  // 2: duplets
    }
  }
  switch (parts) {
    case 1: return 0.0;
    case 2: return 1.5;
    case 4: return 4.0;
    case 3: return 5.0;
    default: return 8.0;  // 6: 16th triplets
  }
}

}  // namespace

std::vector<QuantizedNote> quantize(const std::vector<NoteEvent>& events, const TimeGrid& grid) {
  std::vector<int> order;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.pitch >= 0 && e.pitch <= 127 && e.end > e.start) order.push_back(static_cast<int>(i));
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return events[a].start != events[b].start ? events[a].start < events[b].start : events[a].pitch < events[b].pitch;
  });
  // Chord clusters share one onset position.
  std::vector<std::vector<int>> clusters;
  for (int i : order) {
    if (clusters.empty() || events[i].start - events[clusters.back().front()].start > 0.035) clusters.push_back({});
    clusters.back().push_back(i);
  }
  // Positions in beats, counted from the first beat boundary at or before the score start.
  const bool compound = grid.time.compound();
  const int tdiv = grid.tatum_divisions;
  const int64_t bdiv = grid.time.beat_length();
  const int64_t offset = grid.pickup % bdiv;
  const double sigma = kSigmaTatum * tdiv / bdiv;  // in beats
  auto beat_pos = [&](double seconds) { return (grid.tatum_position(seconds) * tdiv - offset) / bdiv; };
  std::vector<double> pos(clusters.size());
  for (size_t c = 0; c < clusters.size(); ++c) {
    double s = 0;
    for (int i : clusters[c]) s += events[i].start;
    pos[c] = beat_pos(s / clusters[c].size());
  }
  std::vector<int> allowed;
  for (int parts : {1, 2, 3, 4, 6})
    if (bdiv % parts == 0) allowed.push_back(parts);

  // Subdivision per beat.
  std::map<int64_t, std::vector<double>> by_beat;
  for (double p : pos) by_beat[static_cast<int64_t>(std::floor(p))].push_back(p - std::floor(p));
  std::map<int64_t, int> parts_of;
  for (const auto& [k, fracs] : by_beat) {
    double best = 1e18;
    int arg = 1;
    for (int parts : allowed) {
      double cost = complexity(parts, compound);
      for (double f : fracs) {
        const double err = (f * parts - std::round(f * parts)) / parts / sigma;
        cost += err * err;
      }
      if (cost < best) best = cost, arg = parts;
    }
    parts_of[k] = arg;
  }
  auto parts_at = [&](int64_t k, int fallback) {
    const auto it = parts_of.find(k);
    return it != parts_of.end() ? it->second : fallback;
  };
  auto snap = [&](double p, int fallback) -> int64_t {
    const int64_t k = static_cast<int64_t>(std::floor(p));
    const int parts = parts_at(k, fallback);
    return offset + k * bdiv + static_cast<int64_t>(std::lround((p - k) * parts)) * (bdiv / parts);
  };
  const int end_parts = compound ? 3 : 2;
  const double tatum_seconds = grid.tatums.size() > 1 ? (grid.tatums.back() - grid.tatums.front()) / (grid.tatums.size() - 1) : 0.5;

  std::vector<QuantizedNote> out;
  std::vector<double> real_end;
  for (size_t c = 0; c < clusters.size(); ++c) {
    const int64_t onset = std::max<int64_t>(0, snap(pos[c], 1));
    const int64_t step = bdiv / parts_at(static_cast<int64_t>(std::floor(pos[c])), 1);
    for (int i : clusters[c]) {
      const auto& e = events[i];
      // Detached playing ends early: compensate by a fifth of a tatum (at most 60 ms).
      const double bias = std::min(0.2, 0.06 / tatum_seconds) * tdiv / bdiv;
      int64_t end = snap(beat_pos(e.end) + bias, end_parts);
      end = std::max(end, onset + std::min<int64_t>(step, bdiv / end_parts));
      out.push_back({e.pitch, onset, end - onset, midi_velocity(e.velocity), i});
      real_end.push_back(e.end);
    }
  }
  // Legato repair: a short gap before the next onset is articulation, not a rest.
  std::vector<size_t> idx(out.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return out[a].onset < out[b].onset; });
  std::vector<int64_t> onsets;
  for (size_t i : idx) onsets.push_back(out[i].onset);
  for (size_t j = 0; j < idx.size(); ++j) {
    auto& n = out[idx[j]];
    const int64_t end = n.onset + n.duration;
    const auto it = std::upper_bound(onsets.begin(), onsets.end(), n.onset);
    if (it == onsets.end()) continue;
    const int64_t next = *it;
    if (end < next && next - end <= tdiv / 2) {
      const size_t nj = it - onsets.begin();
      const double gap = events[out[idx[nj]].source].start - real_end[idx[j]];
      if (gap < 0.35 * tatum_seconds) n.duration = next - n.onset;
    }
  }
  std::sort(out.begin(), out.end(), [](const QuantizedNote& a, const QuantizedNote& b) {
    return a.onset != b.onset ? a.onset < b.onset : a.pitch < b.pitch;
  });
  // Same pitch twice at one onset: keep the longer.
  std::vector<QuantizedNote> dedup;
  for (const auto& n : out) {
    if (!dedup.empty() && dedup.back().onset == n.onset && dedup.back().pitch == n.pitch) {
      dedup.back().duration = std::max(dedup.back().duration, n.duration);
      continue;
    }
    dedup.push_back(n);
  }
  return dedup;
}

}  // namespace cadenza::notation
