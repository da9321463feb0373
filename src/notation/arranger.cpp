#include "cadenza/notation/arranger.hpp"

#include <algorithm>
#include <map>

#include "cadenza/notation/hand_splitter.hpp"

namespace cadenza::notation {

namespace {

ScoreNote to_score_note(const QuantizedNote& q, int staff) {
  ScoreNote n;
  n.pitch = q.pitch;
  n.onset = q.onset;
  n.duration = q.duration;
  n.velocity = q.velocity;
  n.source = q.source;
  n.staff = staff;
  return n;
}

void sort_notes(std::vector<ScoreNote>& notes) {
  std::sort(notes.begin(), notes.end(), [](const ScoreNote& a, const ScoreNote& b) {
    return a.onset != b.onset ? a.onset < b.onset : a.pitch < b.pitch;
  });
}

// Same pitch sounding twice: the earlier note ends where the later one starts.
std::vector<QuantizedNote> merge_doublings(std::vector<QuantizedNote> notes) {
  std::map<int, size_t> last;
  std::vector<bool> drop(notes.size(), false);
  for (size_t i = 0; i < notes.size(); ++i) {
    auto it = last.find(notes[i].pitch);
    if (it != last.end()) {
      auto& prev = notes[it->second];
      if (prev.onset == notes[i].onset) {
        prev.duration = std::max(prev.duration, notes[i].duration);
        drop[i] = true;
        continue;
      }
      if (prev.onset + prev.duration > notes[i].onset) prev.duration = notes[i].onset - prev.onset;
    }
    last[notes[i].pitch] = i;
  }
  std::vector<QuantizedNote> out;
  for (size_t i = 0; i < notes.size(); ++i)
    if (!drop[i]) out.push_back(notes[i]);
  return out;
}

std::vector<ScoreNote> piano(const std::vector<QuantizedNote>& input) {
  const auto notes = merge_doublings(input);
  const auto staff = split_hands(notes);
  std::vector<ScoreNote> out;
  for (int hand = 1; hand <= 2; ++hand) {
    std::map<int64_t, std::vector<ScoreNote>> chords;
    for (size_t i = 0; i < notes.size(); ++i)
      if (staff[i] == hand) chords[notes[i].onset].push_back(to_score_note(notes[i], hand));
    for (auto it = chords.begin(); it != chords.end(); ++it) {
      auto& chord = it->second;
      const auto next = std::next(it);
      // Pedal-like overlap: cut at the hand's next onset; equalise the chord.
      int64_t len = 0;
      for (const auto& n : chord) len = std::max(len, n.duration);
      if (next != chords.end()) len = std::min(len, next->first - it->first);
      std::sort(chord.begin(), chord.end(), [](const ScoreNote& a, const ScoreNote& b) { return a.pitch < b.pitch; });
      // Playable: within an octave of the outer note (top in the right hand, bottom in the left).
      const int anchor = hand == 1 ? chord.back().pitch : chord.front().pitch;
      std::vector<ScoreNote> kept;
      for (auto n : chord) {
        if (std::abs(n.pitch - anchor) > 12) continue;
        n.duration = len;
        kept.push_back(n);
      }
      // At most five notes: drop inner octave doublings first, then inner notes.
      while (kept.size() > 5) {
        bool removed = false;
        for (size_t a = 1; a + 1 < kept.size() && !removed; ++a)
          for (size_t b = 0; b < kept.size() && !removed; ++b)
            if (a != b && kept[a].pitch % 12 == kept[b].pitch % 12) kept.erase(kept.begin() + a), removed = true;
        if (!removed) kept.erase(kept.begin() + kept.size() / 2);
      }
      out.insert(out.end(), kept.begin(), kept.end());
    }
  }
  sort_notes(out);
  return out;
}

std::vector<ScoreNote> easy(const std::vector<QuantizedNote>& notes, const TimeSignature& time, int64_t pickup) {
  std::vector<ScoreNote> out;
  // Melody: the highest note of each onset (skyline), held until the next melody onset.
  std::map<int64_t, const QuantizedNote*> top;
  for (const auto& n : notes) {
    auto& t = top[n.onset];
    if (!t || n.pitch > t->pitch) t = &n;
  }
  // An onset under a higher melody note that is still sounding is accompaniment, not melody.
  std::vector<const QuantizedNote*> line;
  for (const auto& [onset, n] : top) {
    if (!line.empty() && line.back()->onset + line.back()->duration > onset && line.back()->pitch > n->pitch) continue;
    line.push_back(n);
  }
  for (size_t i = 0; i < line.size(); ++i) {
    auto n = to_score_note(*line[i], 1);
    if (i + 1 < line.size()) n.duration = std::min(n.duration, line[i + 1]->onset - n.onset);
    while (n.pitch < 60) n.pitch += 12;
    out.push_back(n);
  }
  // Bass: per beat, the lowest note sounding at the beat or starting inside it.
  const int64_t beat = time.beat_length();
  int64_t end = 0;
  for (const auto& n : notes) end = std::max(end, n.onset + n.duration);
  const int64_t first = pickup % beat;
  std::vector<ScoreNote> bass;
  for (int64_t b = first; b < end; b += beat) {
    const QuantizedNote* low = nullptr;
    for (const auto& n : notes) {
      const bool at = n.onset <= b && n.onset + n.duration > b;
      const bool inside = n.onset > b && n.onset < b + beat;
      if ((at || inside) && (!low || n.pitch < low->pitch)) low = &n;
    }
    if (!low) continue;
    auto n = to_score_note(*low, 2);
    n.onset = b;
    n.duration = beat;
    while (n.pitch > 55) n.pitch -= 12;
    while (n.pitch < 36) n.pitch += 12;
    // Repeated bass notes within a bar merge into one longer note.
    const bool bar_start = (b - pickup) % time.bar_length() == 0;
    if (!bass.empty() && bass.back().pitch == n.pitch && bass.back().onset + bass.back().duration == b && !bar_start) {
      bass.back().duration += beat;
      continue;
    }
    bass.push_back(n);
  }
  out.insert(out.end(), bass.begin(), bass.end());
  sort_notes(out);
  return out;
}

}  // namespace

std::vector<NoteEvent> prepare_events(const std::vector<NoteEvent>& events, Arrangement arrangement) {
  if (arrangement == Arrangement::Transcription) return events;
  std::vector<NoteEvent> out;
  for (const auto& e : events)
    if (e.end - e.start >= 0.06) out.push_back(e);
  return out.empty() ? events : out;
}

std::vector<ScoreNote> arrange(const std::vector<QuantizedNote>& notes, Arrangement arrangement,
                               const TimeSignature& time, int64_t pickup) {
  switch (arrangement) {
    case Arrangement::Piano: return piano(notes);
    case Arrangement::Easy: return easy(notes, time, pickup);
    case Arrangement::Transcription: break;
  }
  const auto staff = split_hands(notes);
  std::vector<ScoreNote> out;
  for (size_t i = 0; i < notes.size(); ++i) out.push_back(to_score_note(notes[i], staff[i]));
  sort_notes(out);
  return out;
}

}  // namespace cadenza::notation
