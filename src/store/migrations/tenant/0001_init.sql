-- Tenant database: one file per tenant (business or household). Accounts live in the control
-- database, so owner_id is not a foreign key.
CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL,
  owner_id    TEXT NOT NULL,
  kind        TEXT NOT NULL,
  priority    INTEGER NOT NULL DEFAULT 0,
  state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  progress    REAL NOT NULL DEFAULT 0,
  stage       TEXT NOT NULL DEFAULT '',
  attempts    INTEGER NOT NULL DEFAULT 0,
  error       TEXT NOT NULL DEFAULT '',
  payload     TEXT NOT NULL DEFAULT '{}',
  result      TEXT NOT NULL DEFAULT 'null',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  started_at  INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_owner_state ON jobs (owner_id, state);
CREATE INDEX jobs_state_created ON jobs (state, created_at);
