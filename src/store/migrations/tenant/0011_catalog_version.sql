-- The catalogue's version: one row, bumped by triggers on every change of `tracks` or `track_genres`, so that
-- an in-memory snapshot of the catalogue (recommend/catalog.hpp) is reused until the catalogue changed, at the
-- cost of one primary-key read. (0010 belongs to another change.)
CREATE TABLE catalog_version (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);

CREATE TRIGGER tracks_version_insert AFTER INSERT ON tracks
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER tracks_version_update AFTER UPDATE ON tracks
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER tracks_version_delete AFTER DELETE ON tracks
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER track_genres_version_insert AFTER INSERT ON track_genres
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER track_genres_version_update AFTER UPDATE ON track_genres
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER track_genres_version_delete AFTER DELETE ON track_genres
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;

-- A tune vector's planned tracks (recommend/planner.hpp), made from the catalogue at catalog_version: the plan
-- is made again when the tune vector changes, and lazily when the catalogue's version moved on. `plan` is the
-- planner's JSON ({tracks, summary, ...}); `state` what the listening session added (played and skipped
-- tracks, the last readings), JSON.
CREATE TABLE tune_vector_plans (
  tune_vector_id  TEXT PRIMARY KEY REFERENCES tune_vectors (id) ON DELETE CASCADE,
  catalog_version INTEGER NOT NULL,
  plan            TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT '{}',
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
