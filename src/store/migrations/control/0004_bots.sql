-- Bot clients (store::bot_repo): bots an operator registers with `cadenza bot add NAME`, the accounts their
-- chat users linked, and the one-time codes that make a link. Secrets are stored only as sha256: a bot's
-- token is shown once; a link code is shown once to the signed-in user who asked for it.
CREATE TABLE bots (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX bots_name ON bots (name COLLATE NOCASE);

-- A chat user (telegram_id, as the bot names it) of one bot acts as one account; the same telegram id
-- seen by another bot is another link.
CREATE TABLE bot_links (
  id          TEXT PRIMARY KEY,
  bot_id      TEXT NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  telegram_id TEXT NOT NULL,
  account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX bot_links_user ON bot_links (bot_id, telegram_id);
CREATE INDEX bot_links_account ON bot_links (account_id);

-- At most one live code per account (a new one replaces it); used or expired codes are deleted.
CREATE TABLE bot_link_codes (
  code_hash  TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX bot_link_codes_account ON bot_link_codes (account_id);
