#pragma once
// notes.json: {"notes": [{"start": s, "end": s, "pitch": midi, "velocity": 0..1, "bends": [...]}, ...]}
#include <string>
#include <vector>

#include "cadenza/core/note_event.hpp"

namespace cadenza::transcribe {

std::string notes_to_json(const std::vector<NoteEvent>& notes, int indent = -1);

}  // namespace cadenza::transcribe
