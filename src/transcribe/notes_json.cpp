#include "cadenza/transcribe/notes_json.hpp"

#include <nlohmann/json.hpp>

namespace cadenza::transcribe {

std::string notes_to_json(const std::vector<NoteEvent>& notes, int indent) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& n : notes)
    arr.push_back({{"start", n.start}, {"end", n.end}, {"pitch", n.pitch}, {"velocity", n.velocity}, {"bends", n.bends}});
  return nlohmann::ordered_json{{"notes", std::move(arr)}}.dump(indent);
}

}  // namespace cadenza::transcribe
