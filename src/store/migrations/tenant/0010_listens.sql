-- Listening history (recommendation pillar): one row per play of a catalogue track by a profile. profile_id is
-- an account id from the control database (not a foreign key). A listen is named by (profile, track,
-- started_at): sending it again adds nothing. played_ms is how long it played; outcome 'completed' (played to
-- the end), 'skipped' (skipped_at_ms: where in the track), or 'played' (stopped, neither known). tune_vector_id:
-- the tune vector that queued it, if any (kept as NULL when that goes). source: 'api' or 'import:<kind>'
-- (spotify, spotify-extended, listenbrainz, lastfm). Rows older than recommend.listen_ttl_days are purged.
CREATE TABLE listens (
  id             INTEGER PRIMARY KEY,
  profile_id     TEXT NOT NULL,
  track_id       TEXT NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
  started_at     INTEGER NOT NULL,  -- epoch ms
  played_ms      INTEGER NOT NULL CHECK (played_ms >= 0),
  outcome        TEXT NOT NULL CHECK (outcome IN ('completed', 'skipped', 'played')),
  skipped_at_ms  INTEGER CHECK (skipped_at_ms IS NULL OR skipped_at_ms >= 0),
  tune_vector_id TEXT REFERENCES tune_vectors (id) ON DELETE SET NULL,
  source         TEXT NOT NULL CHECK (source = 'api' OR source LIKE 'import:_%'),
  created_at     INTEGER NOT NULL,
  UNIQUE (profile_id, track_id, started_at)
);
CREATE INDEX listens_profile_started ON listens (profile_id, started_at);
CREATE INDEX listens_track ON listens (track_id);
CREATE INDEX listens_started ON listens (started_at);  -- the retention purge
CREATE INDEX listens_tune_vector ON listens (tune_vector_id) WHERE tune_vector_id IS NOT NULL;
