#include "cadenza/core/note_event.hpp"

#include <algorithm>
#include <cmath>

namespace cadenza {

int midi_velocity(double velocity) {
  if (!(velocity > 0)) return 1;  // also NaN
  return std::clamp(static_cast<int>(std::nearbyint(std::min(velocity, 1.0) * 127.0)), 1, 127);
}

std::vector<NoteEvent> normalized(std::vector<NoteEvent> events) {
  std::erase_if(events, [](const NoteEvent& e) { return e.pitch < 0 || e.pitch > 127 || !(e.end > e.start); });
  std::sort(events.begin(), events.end(), [](const NoteEvent& a, const NoteEvent& b) {
    return a.start != b.start ? a.start < b.start : a.pitch < b.pitch;
  });
  return events;
}

}  // namespace cadenza
