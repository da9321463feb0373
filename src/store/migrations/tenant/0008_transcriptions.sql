-- Transcriptions kept per account and audio (by content hash) and the options that made them, so that a
-- conversion of the same audio, or one resumed after a crash, skips the net. Deleted with the account.
CREATE TABLE transcriptions (
  owner_id      TEXT NOT NULL,
  audio_sha     TEXT NOT NULL,
  options       TEXT NOT NULL,  -- what the notes depend on (the net and the note options), e.g. "basic-pitch/1"
  notes         TEXT NOT NULL,  -- JSON: [[pitch, start, end, velocity, [bends...]], ...]
  audio_seconds REAL NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (owner_id, audio_sha, options)
);
