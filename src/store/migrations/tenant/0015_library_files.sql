-- (0014 is version_files, on main.)
-- The files of the tenant's music library (`cadenza import library DIR`, the import_library job): one row per
-- audio file seen by a scan, with what a re-scan compares (size and modification time: a file whose both
-- are unchanged is not read again), the track it became (NULL while it failed), the raw features measured
-- on its audio (JSON; the five dimensions are made from them by percentile within the library, see
-- recommend/library_features.hpp) and, for a file that could not be imported, why. A file that vanished
-- loses its row; its track stays (with its listens) but without audio.
CREATE TABLE library_files (
  path       TEXT PRIMARY KEY,      -- absolute, as the scan found it
  size       INTEGER NOT NULL,
  mtime_ns   INTEGER NOT NULL,
  track_id   TEXT REFERENCES tracks (id) ON DELETE SET NULL,
  features   TEXT,                  -- JSON object; NULL when the file failed
  error      TEXT,                  -- NULL: imported
  scanned_at INTEGER NOT NULL
);
CREATE INDEX library_files_track ON library_files (track_id) WHERE track_id IS NOT NULL;
