#include "cadenza/notation/measure_builder.hpp"

#include <algorithm>
#include <map>

namespace cadenza::notation {

namespace {

struct Value {
  int64_t duration;
  const char* type;
  int dots;
  bool triplet;
};

// Longest first.
constexpr Value kValues[] = {
    {144, "whole", 1, false}, {96, "whole", 0, false}, {72, "half", 1, false}, {48, "half", 0, false},
    {36, "quarter", 1, false}, {32, "half", 0, true}, {24, "quarter", 0, false}, {18, "eighth", 1, false},
    {16, "quarter", 0, true}, {12, "eighth", 0, false}, {9, "16th", 1, false}, {8, "eighth", 0, true},
    {6, "16th", 0, false}, {4, "16th", 0, true}, {3, "32nd", 0, false}, {2, "32nd", 0, true},
};

// Splits a length into writable values: triplet values only where the length needs them.
std::vector<int64_t> decompose(int64_t len) {
  std::vector<int64_t> out;
  if (len % 3 != 0) {
    for (const auto& v : kValues) {
      if (v.triplet && v.duration <= len && (len - v.duration) % 3 == 0) {
        out.push_back(v.duration);
        len -= v.duration;
        break;
      }
    }
  }
  while (len > 0) {
    int64_t pick = 0;
    for (const auto& v : kValues) {
      if (v.duration <= len && (!v.triplet || len % 3 != 0)) {
        pick = v.duration;
        break;
      }
    }
    if (pick == 0) pick = len;  // below the smallest value: written as the shortest type
    out.push_back(pick);
    len -= pick;
  }
  return out;
}

struct Span {
  int64_t start, end;       // absolute divisions
  std::vector<size_t> notes;  // empty: rest
};

}  // namespace

bool note_value(int64_t duration, std::string& type, int& dots, bool& triplet) {
  for (const auto& v : kValues) {
    if (v.duration == duration) {
      type = v.type, dots = v.dots, triplet = v.triplet;
      return true;
    }
  }
  type = "32nd", dots = 0, triplet = false;
  return false;
}

void build_measures(Score& score) {
  score.measures.clear();
  const int64_t bar = score.time.bar_length();
  const int64_t beat = score.time.beat_length();
  int64_t end = 0;
  for (const auto& n : score.notes) end = std::max(end, n.onset + n.duration);
  end = std::max<int64_t>(end, 1);
  // Measure boundaries.
  std::vector<int64_t> starts;
  if (score.pickup > 0) starts.push_back(0);
  for (int64_t s = score.pickup; s < end; s += bar) starts.push_back(s);
  if (starts.empty()) starts.push_back(0);
  const int64_t total = starts.back() + bar;

  // Per (staff, voice): spans of chords, gaps become rests.
  std::map<std::pair<int, int>, std::vector<Span>> lines;
  {
    std::map<std::pair<int, int>, std::map<int64_t, std::vector<size_t>>> by;
    for (size_t i = 0; i < score.notes.size(); ++i)
      by[{score.notes[i].staff, score.notes[i].voice}][score.notes[i].onset].push_back(i);
    for (int staff = 1; staff <= 2; ++staff) by[{staff, 1}];
    for (auto& [key, chords] : by) {
      auto& spans = lines[key];
      int64_t cursor = 0;
      for (auto& [onset, idx] : chords) {
        std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score.notes[a].pitch < score.notes[b].pitch; });
        const int64_t len = score.notes[idx.front()].duration;
        for (size_t i : idx) score.notes[i].duration = len;
        const int64_t start = std::max(onset, cursor);
        if (start > cursor) spans.push_back({cursor, start, {}});
        if (onset + len > start) spans.push_back({start, onset + len, idx});
        cursor = std::max(cursor, onset + len);
      }
      if (cursor < total) spans.push_back({cursor, total, {}});
    }
  }

  for (size_t m = 0; m < starts.size(); ++m) {
    Measure measure;
    measure.pickup = score.pickup > 0 && m == 0;
    measure.number = score.pickup > 0 ? static_cast<int>(m) : static_cast<int>(m + 1);
    measure.start = starts[m];
    const int64_t mend = m + 1 < starts.size() ? starts[m + 1] : total;
    measure.length = mend - measure.start;
    const int64_t metric0 = measure.pickup ? bar - measure.length : 0;  // offset inside a full bar
    for (auto& [key, spans] : lines) {
      VoiceLine line;
      line.staff = key.first;
      line.voice = key.second;
      bool has_notes = false;
      for (const auto& sp : spans) {
        const int64_t a0 = std::max(sp.start, measure.start), b0 = std::min(sp.end, mend);
        if (a0 >= b0) continue;
        if (!sp.notes.empty()) has_notes = true;
        // Metrical splitting inside the measure.
        int64_t a = a0 - measure.start + metric0;
        const int64_t b = b0 - measure.start + metric0;
        std::vector<std::pair<int64_t, int64_t>> pieces;
        while (a < b) {
          int64_t limit;
          if (a % bar == 0) limit = bar;
          else if (a % beat == 0) {
            const bool halves = score.time.beats % 2 == 0 && score.time.beats >= 4 && bar / 2 % beat == 0;
            limit = halves && a < bar / 2 ? bar / 2 : bar;
          } else limit = (a / beat + 1) * beat;
          const int64_t piece_end = std::min(b, limit);
          for (int64_t d : decompose(piece_end - a)) {
            pieces.push_back({a, d});
            a += d;
          }
        }
        for (size_t p = 0; p < pieces.size(); ++p) {
          Element el;
          el.rest = sp.notes.empty();
          for (size_t i : sp.notes) el.notes.push_back(static_cast<int>(i));
          el.start = pieces[p].first - metric0;
          el.duration = pieces[p].second;
          note_value(el.duration, el.type, el.dots, el.triplet);
          if (!el.rest) {
            const int64_t abs_start = measure.start + el.start;
            el.tie_stop = abs_start > sp.start;
            el.tie_start = abs_start + el.duration < sp.end;
          }
          line.elements.push_back(el);
        }
      }
      if (line.voice != 1 && !has_notes) continue;
      if (!has_notes && line.elements.size() > 1) {
        // An empty voice 1: one whole-measure rest.
        Element rest;
        rest.rest = true;
        rest.start = 0;
        rest.duration = measure.length;
        rest.type.clear();
        line.elements = {rest};
      }
      // Beams: runs of two or more eighths or shorter inside one beat.
      auto& els = line.elements;
      size_t i = 0;
      while (i < els.size()) {
        auto beamable = [&](const Element& e) { return !e.rest && e.duration < 24 && e.type != "quarter" && e.type != "half"; };
        if (!beamable(els[i])) {
          ++i;
          continue;
        }
        const int64_t group = (els[i].start + metric0) / beat;
        size_t j = i;
        while (j < els.size() && beamable(els[j]) && (els[j].start + metric0) / beat == group) ++j;
        if (j - i >= 2) {
          for (size_t k = i; k < j; ++k) els[k].beam = k == i ? "begin" : (k + 1 == j ? "end" : "continue");
        }
        i = std::max(j, i + 1);
      }
      if (line.elements.size() == 1 && line.elements[0].rest && line.voice == 1) line.elements[0].type.clear();
      measure.voices.push_back(std::move(line));
    }
    score.measures.push_back(std::move(measure));
  }
}

}  // namespace cadenza::notation
