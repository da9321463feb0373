#pragma once
// Kept transcriptions (tenant table transcriptions, migration 0008): the notes of an account's audio, by
// the audio's SHA-256 and the options that made them, so the same audio is not transcribed twice.
#include <optional>
#include <string>
#include <vector>

#include "cadenza/core/note_event.hpp"
#include "cadenza/store/db.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {

struct KeptTranscription {
  std::vector<NoteEvent> notes;
  double audio_seconds = 0;
};

namespace transcription_repo {

std::optional<KeptTranscription> find(Database& db, const std::string& owner_id, const std::string& audio_sha,
                                      const std::string& options);
// Inserts or replaces.
void put(Database& db, const std::string& owner_id, const std::string& audio_sha, const std::string& options,
         const KeptTranscription& t);
std::vector<OwnedTable> owned_tables();

}  // namespace transcription_repo
}  // namespace cadenza::store
