-- Generation (issue 11): a vary version's regenerated bars, every version's bar count, and the files
-- assembled when a version has ended (the score's PDF, rendered by a "version_pdf" job) kept with it.
ALTER TABLE versions ADD COLUMN vary_from INTEGER;                -- vary: the first bar sampled again (1-based)
ALTER TABLE versions ADD COLUMN vary_to INTEGER;                  -- vary: the last one (inclusive)
ALTER TABLE versions ADD COLUMN bar_count INTEGER NOT NULL DEFAULT 0;  -- bars of music, set when it ends
ALTER TABLE versions ADD COLUMN pdf_job_id TEXT;                  -- the job rendering its PDF, when one was started
ALTER TABLE versions ADD COLUMN pdf_error TEXT NOT NULL DEFAULT '';  -- why that job failed
CREATE TABLE version_files (
  version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  format     TEXT NOT NULL,      -- "pdf"
  bytes      BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (version_id, format)
) WITHOUT ROWID;
