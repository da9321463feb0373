-- Generation (the streaming pillar): projects hold versions; a version is one generated piece (a prompt's
-- controls, a seed, and for continue/vary the version it grew from), made by a "generate" job whose audio
-- is the chunk stream with stream_id = the version's id (chunk_repo; deleted with the version explicitly).
-- owner_id is kept on versions too, so a deleted profile's chunks go with them (profile_data.hpp).
CREATE TABLE projects (
  id         TEXT PRIMARY KEY,
  owner_id   TEXT NOT NULL,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX projects_owner_created ON projects (owner_id, created_at);
CREATE TABLE versions (
  id                TEXT PRIMARY KEY,
  project_id        TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  owner_id          TEXT NOT NULL,
  parent_version_id TEXT REFERENCES versions (id) ON DELETE SET NULL,
  mode              TEXT NOT NULL CHECK (mode IN ('new', 'continue', 'vary')),
  prompt            TEXT NOT NULL,
  controls          TEXT NOT NULL,               -- JSON (generate::to_json(Controls))
  seed              INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  job_id            TEXT,
  duration_ms       INTEGER NOT NULL DEFAULT 0,  -- audio stored so far
  chunk_count       INTEGER NOT NULL DEFAULT 0,
  notes             TEXT NOT NULL DEFAULT '[]',  -- JSON [[onset, duration, pitch, velocity], ...] in ticks (12 a quarter)
  error             TEXT NOT NULL DEFAULT '',
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX versions_project_created ON versions (project_id, created_at);
CREATE INDEX versions_owner ON versions (owner_id);
CREATE INDEX versions_status ON versions (status);
