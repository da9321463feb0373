-- The chunk store: the pieces of a stream (a generation stream, a job's output) in order. seq counts from
-- 1 per stream without gaps; `bytes` is the payload (audio, ...), `meta` a JSON object about it.
-- stream_id is a job id or a stream id (no foreign key: streams of several kinds share the table), so a
-- stream's rows are deleted with it explicitly (chunk_repo::delete_stream).
CREATE TABLE chunks (
  stream_id  TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  bytes      BLOB NOT NULL,
  meta       TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (stream_id, seq)
);
