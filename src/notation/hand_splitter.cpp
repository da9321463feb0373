#include "cadenza/notation/hand_splitter.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace cadenza::notation {

namespace {

// A hand's register: smoothed lowest and highest notes it has been playing.
struct Register {
  double low, high;
  double distance(int p) const { return p < low ? low - p : (p > high ? p - high : 0.0); }
  void follow(const std::vector<int>& notes) {
    if (notes.empty()) return;
    const auto [lo, hi] = std::minmax_element(notes.begin(), notes.end());
    low = 0.7 * low + 0.3 * *lo;
    high = 0.7 * high + 0.3 * *hi;
  }
};

double hand_cost(const std::vector<int>& fresh, const std::vector<int>& held, const Register& reg, bool right) {
  if (fresh.empty()) return 0.0;
  double cost = 0.0;
  for (int p : fresh) {
    cost += reg.distance(p) / 6.0;
    if (right && p < 55) cost += 0.08 * (55 - p);
    if (!right && p > 67) cost += 0.08 * (p - 67);
  }
  int lo = 128, hi = -1;
  for (int p : fresh) lo = std::min(lo, p), hi = std::max(hi, p);
  for (int p : held) lo = std::min(lo, p), hi = std::max(hi, p);
  const int span = hi - lo;
  // An octave is comfortable, a tenth is a stretch, beyond that the hand cannot hold it.
  if (span > 12) cost += 0.5 * (span - 12);
  if (span > 15) cost += 2.0 * (span - 15);
  if (span > 17) cost += 10.0;
  const size_t count = fresh.size() + held.size();
  if (count > 5) cost += 10.0 * (count - 5);
  return cost;
}

}  // namespace

std::vector<int> split_hands(const std::vector<QuantizedNote>& notes) {
  std::vector<int> staff(notes.size(), 1);
  Register right{64.0, 76.0}, left{43.0, 55.0};
  size_t i = 0;
  while (i < notes.size()) {
    size_t j = i;
    while (j < notes.size() && notes[j].onset == notes[i].onset) ++j;
    std::vector<size_t> group;
    for (size_t k = i; k < j; ++k) group.push_back(k);
    std::sort(group.begin(), group.end(), [&](size_t a, size_t b) { return notes[a].pitch < notes[b].pitch; });
    // Notes still sounding in each hand.
    std::vector<int> held_r, held_l;
    for (size_t k = 0; k < i; ++k) {
      if (notes[k].onset + notes[k].duration > notes[i].onset) (staff[k] == 1 ? held_r : held_l).push_back(notes[k].pitch);
    }
    double best = 1e18;
    size_t cut = 0;
    for (size_t c = 0; c <= group.size(); ++c) {
      std::vector<int> lh, rh;
      for (size_t g = 0; g < group.size(); ++g) (g < c ? lh : rh).push_back(notes[group[g]].pitch);
      double cost = hand_cost(rh, held_r, right, true) + hand_cost(lh, held_l, left, false);
      int lhi = -1, rlo = 128;
      for (int p : lh) lhi = std::max(lhi, p);
      for (int p : held_l) lhi = std::max(lhi, p);
      for (int p : rh) rlo = std::min(rlo, p);
      for (int p : held_r) rlo = std::min(rlo, p);
      if (lhi > rlo) cost += 2.0;
      // Share the notes between the hands (a four-part texture is two plus two).
      if (!lh.empty() || !held_l.empty())
        cost += 0.8 * std::abs(static_cast<double>(rh.size() + held_r.size()) - static_cast<double>(lh.size() + held_l.size()));
      if (cost < best) best = cost, cut = c;
    }
    std::vector<int> now_r = held_r, now_l = held_l;
    for (size_t g = 0; g < group.size(); ++g) {
      staff[group[g]] = g < cut ? 2 : 1;
      (g < cut ? now_l : now_r).push_back(notes[group[g]].pitch);
    }
    if (cut < group.size()) right.follow(now_r);
    if (cut > 0) left.follow(now_l);
    // Keep the registers apart so that one hand cannot swallow the other's.
    if (right.low - left.high < 2) {
      const double mid = 0.5 * (right.low + left.high);
      right.low = std::max(right.low, mid + 1), left.high = std::min(left.high, mid - 1);
    }
    right.high = std::max(right.high, right.low);
    left.low = std::min(left.low, left.high);
    i = j;
  }
  return staff;
}

void assign_voices(std::vector<ScoreNote>& notes) {
  for (int staff = 1; staff <= 2; ++staff) {
    std::map<int64_t, std::vector<size_t>> by_onset;
    for (size_t i = 0; i < notes.size(); ++i)
      if (notes[i].staff == staff) by_onset[notes[i].onset].push_back(i);
    int64_t free_at[3] = {0, 0, 0};
    std::vector<size_t> last_of[3];
    for (auto& [onset, group] : by_onset) {
      // Subgroups of equal duration, the one holding the highest note first.
      std::map<int64_t, std::vector<size_t>> by_len;
      for (size_t i : group) by_len[notes[i].duration].push_back(i);
      std::vector<std::vector<size_t>> subs;
      for (auto& [len, v] : by_len) subs.push_back(v);
      auto top = [&](const std::vector<size_t>& v) {
        int t = -1;
        for (size_t i : v) t = std::max(t, notes[i].pitch);
        return t;
      };
      std::sort(subs.begin(), subs.end(), [&](const auto& a, const auto& b) { return top(a) > top(b); });
      // More than two rhythms at once: fold the extra ones into the second (shortening them).
      while (subs.size() > 2) {
        auto extra = subs.back();
        subs.pop_back();
        for (size_t i : extra) {
          notes[i].duration = notes[subs[1].front()].duration;
          subs[1].push_back(i);
        }
      }
      auto place = [&](const std::vector<size_t>& sub, int voice) {
        for (size_t i : sub) notes[i].voice = voice;
        free_at[voice] = onset + notes[sub.front()].duration;
        last_of[voice] = sub;
      };
      auto make_free = [&](int voice) {
        for (size_t i : last_of[voice]) notes[i].duration = std::max<int64_t>(1, std::min(notes[i].duration, onset - notes[i].onset));
        free_at[voice] = onset;
      };
      if (subs.size() == 1) {
        if (free_at[1] <= onset) place(subs[0], 1);
        else if (free_at[2] <= onset) place(subs[0], 2);
        else {
          make_free(1);
          place(subs[0], 1);
        }
      } else {
        if (free_at[1] > onset) make_free(1);
        if (free_at[2] > onset) make_free(2);
        place(subs[0], 1);
        place(subs[1], 2);
      }
    }
  }
}

}  // namespace cadenza::notation
