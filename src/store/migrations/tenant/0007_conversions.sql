-- Conversions (POST /api/convert): one row per request, its job in `jobs` (the job holds state, progress,
-- result and error; the row holds what the request said). Deleting a conversion deletes its rows here;
-- its files go with their last holder (conversion_blobs, blob_owners).
CREATE TABLE conversions (
  id              TEXT PRIMARY KEY,
  owner_id        TEXT NOT NULL,
  job_id          TEXT NOT NULL UNIQUE,
  song_name       TEXT NOT NULL,
  is_public       INTEGER NOT NULL DEFAULT 0 CHECK (is_public IN (0, 1)),
  request         TEXT NOT NULL,             -- the request as echoed (JSON), secrets left out
  idempotency_key TEXT,                      -- Idempotency-Key, unique per owner
  request_hash    TEXT NOT NULL DEFAULT '',  -- SHA-256 of the request (and the upload), for that key
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (owner_id, idempotency_key)
);
CREATE INDEX conversions_owner_created ON conversions (owner_id, created_at);
CREATE INDEX conversions_public_created ON conversions (is_public, created_at);
-- The blobs a conversion holds for its owner (its audio when it brought it, and its outputs).
CREATE TABLE conversion_blobs (
  conversion_id TEXT NOT NULL REFERENCES conversions (id) ON DELETE CASCADE,
  sha           TEXT NOT NULL,
  PRIMARY KEY (conversion_id, sha)
);
CREATE INDEX conversion_blobs_sha ON conversion_blobs (sha);
-- One webhook secret per account (HMAC-SHA256 key of X-Cadenza-Signature), shown once when made.
CREATE TABLE webhook_secrets (
  owner_id   TEXT PRIMARY KEY,
  secret     TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
-- The webhook outbox: a row is written in the transaction that finishes its conversion's job, with the
-- body it sends on every attempt; a sender delivers due rows, retrying with back-off across restarts.
CREATE TABLE webhook_deliveries (
  id            TEXT PRIMARY KEY,  -- X-Cadenza-Delivery
  conversion_id TEXT NOT NULL REFERENCES conversions (id) ON DELETE CASCADE,  -- its owner signs it
  url           TEXT NOT NULL,
  body          TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  next_at       INTEGER NOT NULL,  -- epoch ms of the next attempt (pending)
  last_status   INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_conversion ON webhook_deliveries (conversion_id);
