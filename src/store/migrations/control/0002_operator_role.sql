-- A third role, 'operator': the server's operator, who alone creates tenants and accounts in other tenants
-- (tenant admins manage only their own tenant). SQLite cannot change a CHECK constraint in place, so the
-- accounts table is rebuilt; api_keys is rebuilt beside it so that no row is cascaded away by the drop.
CREATE TABLE accounts_new (
  id            TEXT PRIMARY KEY,
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  username      TEXT NOT NULL,
  first_name    TEXT NOT NULL DEFAULT '',
  last_name     TEXT NOT NULL DEFAULT '',
  email         TEXT NOT NULL,
  phone         TEXT NOT NULL DEFAULT '',
  role          TEXT NOT NULL CHECK (role IN ('operator', 'admin', 'user')),
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
INSERT INTO accounts_new SELECT id, tenant_id, username, first_name, last_name, email, phone, role, password_hash,
                                created_at, updated_at FROM accounts;

CREATE TABLE api_keys_new (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts_new (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  secret_hash  TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO api_keys_new SELECT id, account_id, name, prefix, secret_hash, created_at, last_used_at FROM api_keys;

DROP TABLE api_keys;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;  -- also renames api_keys_new's reference
ALTER TABLE api_keys_new RENAME TO api_keys;
CREATE UNIQUE INDEX accounts_email ON accounts (email COLLATE NOCASE);
CREATE UNIQUE INDEX accounts_username ON accounts (username COLLATE NOCASE);
CREATE INDEX accounts_tenant ON accounts (tenant_id);
CREATE INDEX api_keys_account ON api_keys (account_id);

-- Before this migration every admin could do what an operator does; the first admin of the default tenant
-- (the one `cadenza user add --admin` made on a new server) keeps that power.
UPDATE accounts SET role = 'operator'
 WHERE id = (SELECT a.id FROM accounts a JOIN tenants t ON t.id = a.tenant_id
              WHERE t.is_default = 1 AND a.role = 'admin' ORDER BY a.created_at, a.id LIMIT 1);
