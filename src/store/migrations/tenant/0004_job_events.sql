-- Every event a job published, in order: seq counts from 1 per job without gaps. `text` is the event as
-- sent over the WebSocket ({"type","seq","job"}), serialised once; a client that reconnects is replayed
-- from here (jobs/event_log.hpp). The rows go with their job.
CREATE TABLE job_events (
  job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  type       TEXT NOT NULL CHECK (type IN ('job.state', 'job.progress')),
  text       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
