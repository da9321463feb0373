-- Listener data of the recommendation pillar. profile_id is an account id from the control database
-- (not a foreign key: accounts live in another file). Ranks and positions are dense (0..n-1) per profile;
-- the repositories keep them so, inside one transaction per change.

-- source 'user': the profile's own, ordered by rank; 'learned': written by the recommender, never shown
-- through the API (rank is -1).
CREATE TABLE preferences (
  id         TEXT PRIMARY KEY,
  profile_id TEXT NOT NULL,
  source     TEXT NOT NULL CHECK (source IN ('user', 'learned')),
  type       TEXT NOT NULL CHECK (type IN ('genre', 'tempo', 'instrument', 'artist')),
  value      TEXT NOT NULL,            -- JSON
  weight     REAL NOT NULL,
  rank       INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX preferences_profile_rank ON preferences (profile_id, source, rank);

CREATE TABLE tune_vectors (
  id         TEXT PRIMARY KEY,
  profile_id TEXT NOT NULL,
  name       TEXT NOT NULL,
  mode       TEXT NOT NULL CHECK (mode IN ('guided', 'adaptive')),
  preset     TEXT,                     -- 'ascent' | 'descent' | NULL
  waypoints  TEXT NOT NULL,            -- JSON [{atMinute, target}]
  genres     TEXT NOT NULL,            -- JSON [{genre, minutes}]
  position   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tune_vectors_profile_position ON tune_vectors (profile_id, position);

-- A row exists once the profile opted in to the variable (none is on by default).
CREATE TABLE variables (
  id         TEXT PRIMARY KEY,
  profile_id TEXT NOT NULL,
  name       TEXT NOT NULL,
  opted_in   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (profile_id, name)
);

-- Values in the variable's canonical unit (JSON: a number or an object).
CREATE TABLE readings (
  id          INTEGER PRIMARY KEY,
  variable_id TEXT NOT NULL REFERENCES variables (id) ON DELETE CASCADE,
  value       TEXT NOT NULL,
  unit        TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX readings_variable_time ON readings (variable_id, recorded_at);

-- Internal signals derived from listening (e.g. average seconds before a skip): never in the API.
CREATE TABLE profile_signals (
  profile_id TEXT NOT NULL,
  name       TEXT NOT NULL,
  value      REAL NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (profile_id, name)
);
