-- Profiles being deleted (store::ProfileDeletion). A row makes the account invisible at once (no
-- log-in, no token, no API key) and means: finish the deletion. It goes with the account, last.
CREATE TABLE profile_deletions (
  account_id TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL,
  started_at INTEGER NOT NULL
);
