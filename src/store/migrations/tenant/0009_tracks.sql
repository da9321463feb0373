-- The tenant's music catalogue (recommendation pillar): one row per recording with the five features every
-- recommender reads, each 0..1 (tempo is the BPM mapped to 0..1, see recommend/track_features.hpp; the raw
-- BPM is kept beside it), and where its audio is when this server has it. artist_key and title_key are the
-- names normalised by track_repo::normalise (trimmed, runs of white space as one space, ASCII lower case):
-- with duration_ms they name a recording, so importing a catalogue again updates rows instead of adding
-- them (the same title at another length is another recording: a radio edit, a single with a feature).
CREATE TABLE tracks (
  id           TEXT PRIMARY KEY,
  title        TEXT NOT NULL,
  artist       TEXT NOT NULL,
  album        TEXT,
  duration_ms  INTEGER NOT NULL CHECK (duration_ms >= 0),  -- 0: unknown
  year         INTEGER,
  energy       REAL NOT NULL CHECK (energy BETWEEN 0 AND 1),
  tempo        REAL NOT NULL CHECK (tempo BETWEEN 0 AND 1),
  valence      REAL NOT NULL CHECK (valence BETWEEN 0 AND 1),
  acousticness REAL NOT NULL CHECK (acousticness BETWEEN 0 AND 1),
  density      REAL NOT NULL CHECK (density BETWEEN 0 AND 1),
  bpm          REAL CHECK (bpm IS NULL OR bpm > 0),
  audio_path   TEXT,                   -- a file on this server; NULL: no audio
  source       TEXT NOT NULL,          -- where the row came from, e.g. 'csv:songs_normalize.csv'
  artist_key   TEXT NOT NULL,
  title_key    TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (artist_key, title_key, duration_ms)  -- also the listing order
);
CREATE INDEX tracks_energy ON tracks (energy);
CREATE INDEX tracks_valence ON tracks (valence);
CREATE INDEX tracks_acousticness ON tracks (acousticness);
CREATE INDEX tracks_density ON tracks (density);
CREATE INDEX tracks_bpm ON tracks (bpm);

-- A track's genres in the catalogue's order (position 0..n-1), compared without ASCII case.
CREATE TABLE track_genres (
  track_id TEXT NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
  genre    TEXT NOT NULL COLLATE NOCASE,
  position INTEGER NOT NULL,
  PRIMARY KEY (track_id, position)
);
CREATE INDEX track_genres_genre ON track_genres (genre, track_id);
