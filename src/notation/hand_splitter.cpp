#include "cadenza/notation/hand_splitter.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace cadenza::notation {

namespace {

double hand_cost(const std::vector<int>& fresh, const std::vector<int>& held, double centre, bool right) {
  if (fresh.empty()) return 0.0;
  double cost = 0.0;
  for (int p : fresh) {
    cost += std::abs(p - centre) / 12.0;
    if (right && p < 55) cost += 0.08 * (55 - p);
    if (!right && p > 67) cost += 0.08 * (p - 67);
  }
  int lo = 128, hi = -1;
  for (int p : fresh) lo = std::min(lo, p), hi = std::max(hi, p);
  for (int p : held) lo = std::min(lo, p), hi = std::max(hi, p);
  const int span = hi - lo;
  if (span > 12) cost += 1.5 * (span - 12);
  if (span > 16) cost += 10.0;
  const size_t count = fresh.size() + held.size();
  if (count > 5) cost += 10.0 * (count - 5);
  return cost;
}

}  // namespace

std::vector<int> split_hands(const std::vector<QuantizedNote>& notes) {
  std::vector<int> staff(notes.size(), 1);
  double rc = 67.0, lc = 50.0;
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
      std::vector<int> left, right;
      for (size_t g = 0; g < group.size(); ++g) (g < c ? left : right).push_back(notes[group[g]].pitch);
      double cost = hand_cost(right, held_r, rc, true) + hand_cost(left, held_l, lc, false);
      int lhi = -1, rlo = 128;
      for (int p : left) lhi = std::max(lhi, p);
      for (int p : held_l) lhi = std::max(lhi, p);
      for (int p : right) rlo = std::min(rlo, p);
      for (int p : held_r) rlo = std::min(rlo, p);
      if (lhi > rlo) cost += 2.0;
      if (cost < best) best = cost, cut = c;
    }
    double rs = 0, ls = 0;
    int rn = 0, ln = 0;
    for (size_t g = 0; g < group.size(); ++g) {
      const int p = notes[group[g]].pitch;
      staff[group[g]] = g < cut ? 2 : 1;
      if (g < cut) ls += p, ++ln;
      else rs += p, ++rn;
    }
    if (rn) rc = 0.75 * rc + 0.25 * (rs / rn);
    if (ln) lc = 0.75 * lc + 0.25 * (ls / ln);
    // Keep the centres apart so that one hand cannot swallow the other's register.
    if (rc - lc < 10) {
      const double mid = 0.5 * (rc + lc);
      rc = mid + 5, lc = mid - 5;
    }
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
