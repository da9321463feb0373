-- Who holds each blob. Blobs are content-addressed per tenant (blobs/<tenant>/<aa>/<sha>), so one file
-- may belong to several profiles; it is removed when its last owner goes (profile deletion). A row is
-- written before its file, so a file may briefly lack an owner row, never the reverse after commit.
-- Blobs stored before this migration have no owner row and are kept.
CREATE TABLE blob_owners (
  sha        TEXT NOT NULL,
  owner_id   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (sha, owner_id)
);
CREATE INDEX blob_owners_owner ON blob_owners (owner_id);
-- Blobs whose last owner went: their files are removed after the commit that queued them (recovery:
-- any row left here is retried; a sha that found an owner again meanwhile is kept).
CREATE TABLE blob_garbage (
  sha       TEXT PRIMARY KEY,
  queued_at INTEGER NOT NULL
);
