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
-- A generation job announces each stored chunk as a "job.chunk" event (jobs::EventLog::chunk), stored and
-- replayed like the others: job_events takes that type too (SQLite cannot change a CHECK: the table is copied).
CREATE TABLE job_events_new (
  job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  type       TEXT NOT NULL CHECK (type IN ('job.state', 'job.progress', 'job.chunk')),
  text       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
INSERT INTO job_events_new (job_id, seq, type, text, created_at) SELECT job_id, seq, type, text, created_at FROM job_events;
DROP TABLE job_events;
ALTER TABLE job_events_new RENAME TO job_events;
