#include "cadenza/notation/note_event.hpp"

#include <algorithm>

namespace cadenza::notation {

std::vector<NoteEvent> normalized(std::vector<NoteEvent> events) {
  std::erase_if(events, [](const NoteEvent& e) { return e.pitch < 0 || e.pitch > 127 || !(e.end > e.start); });
  for (auto& e : events) e.velocity = std::clamp(e.velocity, 1, 127);
  std::sort(events.begin(), events.end(), [](const NoteEvent& a, const NoteEvent& b) {
    return a.start != b.start ? a.start < b.start : a.pitch < b.pitch;
  });
  return events;
}

}  // namespace cadenza::notation
