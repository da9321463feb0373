#include "cadenza/store/bot_repo.hpp"

#include <cctype>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"

namespace cadenza::store::bot_repo {
namespace {

constexpr const char* kTokenPrefix = "cdzb_";
constexpr std::int64_t kLastUsedResolutionMs = 60'000;
constexpr std::size_t kCodeChars = 8;
constexpr const char* kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // 32 symbols, no I L O U

constexpr const char* kLinkColumns =
    "SELECT l.id, l.bot_id, b.name, l.telegram_id, l.account_id, l.created_at FROM bot_links l"
    " JOIN bots b ON b.id = l.bot_id ";

BotLink link_row(const Stmt& s) {
  return BotLink{s.column_text(0), s.column_text(1), s.column_text(2),
                 s.column_text(3), s.column_text(4), s.column_int64(5)};
}

std::string code_hash(const std::string& normalized) { return crypto::sha256_hex("bot-link-code:" + normalized); }

}  // namespace

std::pair<Bot, std::string> add(Database& database, const std::string& name) {
  if (name.empty() || name.size() > 64 ||
      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos)
    throw Error(ErrorKind::BadRequest, "invalid bot name", {{"name", "1 to 64 characters of A-Z a-z 0-9 _ . -"}});
  Bot b;
  b.id = new_uuid();
  b.name = name;
  b.prefix = crypto::random_hex(4);
  b.created_at = now_ms();
  std::string token = kTokenPrefix + b.prefix + "_" + crypto::random_token(32);
  database.write([&](Db& db) {
    if (db.scalar_int64("SELECT 1 FROM bots WHERE name = ? COLLATE NOCASE", name))
      throw Error(ErrorKind::Conflict, "a bot named " + name + " exists", {{"name", "already taken"}});
    db.run("INSERT INTO bots (id, name, prefix, token_hash, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, 0)", b.id,
           b.name, b.prefix, crypto::sha256_hex(token), b.created_at);
  });
  return {b, token};
}

std::vector<Bot> list(Database& database) {
  return database.read([](Db& db) {
    std::vector<Bot> out;
    auto s = db.prepare(
        "SELECT b.id, b.name, b.prefix, b.created_at, b.last_used_at, (SELECT COUNT(*) FROM bot_links l WHERE"
        " l.bot_id = b.id) FROM bots b ORDER BY b.name COLLATE NOCASE");
    while (s.step())
      out.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3), s.column_int64(4),
                     s.column_int64(5)});
    return out;
  });
}

void remove(Database& database, const std::string& name) {
  database.write([&](Db& db) {
    auto id = db.scalar_text("SELECT id FROM bots WHERE name = ? COLLATE NOCASE", name);
    if (!id) throw Error(ErrorKind::NotFound, "no bot named " + name);
    {
      auto s = db.query("SELECT DISTINCT account_id FROM bot_links WHERE bot_id = ?", *id);
      while (s.step()) db.touch(s.column_text(0));
    }
    db.run("DELETE FROM bot_links WHERE bot_id = ?", *id);
    db.run("DELETE FROM bots WHERE id = ?", *id);
  });
}

std::optional<Bot> find_by_token(Database& database, const std::string& token) {
  if (token.rfind(kTokenPrefix, 0) != 0 || token.size() > 256) return std::nullopt;
  // Looked up by the token's hash: how long the lookup takes says nothing about the token.
  const auto hash = crypto::sha256_hex(token);
  auto bot = database.read([&](Db& db) -> std::optional<Bot> {
    auto s = db.query("SELECT id, name, prefix, created_at, last_used_at, token_hash FROM bots WHERE token_hash = ?", hash);
    if (!s.step() || !crypto::equal(s.column_text(5), hash)) return std::nullopt;
    return Bot{s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3), s.column_int64(4), 0};
  });
  if (!bot) return std::nullopt;
  const auto now = now_ms();
  if (now - bot->last_used_at < kLastUsedResolutionMs) return bot;
  return database.write([&](Db& db) -> std::optional<Bot> {
    if (db.run("UPDATE bots SET last_used_at = ? WHERE id = ?", now, bot->id) == 0) return std::nullopt;  // removed
    bot->last_used_at = now;
    return bot;
  });
}

std::optional<std::string> normalize_code(const std::string& typed) {
  std::string out;
  for (char c : typed) {
    auto u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u == ' ' || u == '-' || u == '\t') continue;
    if (u == 'O') u = '0';
    if (u == 'I' || u == 'L') u = '1';
    if (std::string_view(kCrockford).find(u) == std::string_view::npos || out.size() == kCodeChars) return std::nullopt;
    out.push_back(u);
  }
  if (out.size() != kCodeChars) return std::nullopt;
  return out.substr(0, 4) + "-" + out.substr(4);
}

LinkCode create_link_code(Database& database, const std::string& account_id, std::int64_t now) {
  unsigned char raw[kCodeChars];
  crypto::random_bytes(raw, sizeof raw);
  std::string code;
  for (std::size_t i = 0; i < kCodeChars; ++i) {
    code.push_back(kCrockford[raw[i] & 31]);  // 5 uniform bits per character
    if (i == 3) code.push_back('-');
  }
  LinkCode out{code, now + kLinkCodeTtlMs};
  database.write([&](Db& db) {
    if (!db.scalar_int64("SELECT 1 FROM accounts WHERE id = ?", account_id))
      throw Error(ErrorKind::NotFound, "account not found");
    db.touch(account_id);
    db.run("DELETE FROM bot_link_codes WHERE account_id = ? OR expires_at <= ?", account_id, now);
    db.run("INSERT INTO bot_link_codes (code_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
           code_hash(code), account_id, now, out.expires_at);
  });
  return out;
}

std::optional<BotLink> redeem_link_code(Database& database, const std::string& bot_id, const std::string& typed,
                                        const std::string& telegram_id, std::int64_t now) {
  auto code = normalize_code(typed);
  if (!code) return std::nullopt;
  const auto hash = code_hash(*code);
  return database.write([&](Db& db) -> std::optional<BotLink> {
    std::string account_id;
    std::int64_t expires_at = 0;
    {
      auto s = db.query(
          "SELECT c.account_id, c.expires_at FROM bot_link_codes c JOIN accounts a ON a.id = c.account_id"
          " WHERE c.code_hash = ? AND c.account_id NOT IN (SELECT account_id FROM profile_deletions)",
          hash);
      if (!s.step()) return std::nullopt;
      account_id = s.column_text(0);
      expires_at = s.column_int64(1);
    }
    db.run("DELETE FROM bot_link_codes WHERE code_hash = ?", hash);  // one use, even a late one
    if (expires_at <= now) return std::nullopt;
    if (!db.scalar_int64("SELECT 1 FROM bots WHERE id = ?", bot_id)) return std::nullopt;
    if (auto before = db.scalar_text("SELECT account_id FROM bot_links WHERE bot_id = ? AND telegram_id = ?", bot_id,
                                     telegram_id))
      db.touch(*before);
    db.touch(account_id);
    db.run("DELETE FROM bot_links WHERE bot_id = ? AND telegram_id = ?", bot_id, telegram_id);
    const auto id = new_uuid();
    db.run("INSERT INTO bot_links (id, bot_id, telegram_id, account_id, created_at) VALUES (?, ?, ?, ?, ?)", id,
           bot_id, telegram_id, account_id, now);
    auto l = db.query(std::string(kLinkColumns) + "WHERE l.id = ?", id);
    if (!l.step()) return std::nullopt;
    return link_row(l);
  });
}

std::optional<BotLink> find_link(Database& database, const std::string& bot_id, const std::string& telegram_id) {
  return database.read([&](Db& db) -> std::optional<BotLink> {
    auto s = db.query(std::string(kLinkColumns) + "WHERE l.bot_id = ? AND l.telegram_id = ?", bot_id, telegram_id);
    if (!s.step()) return std::nullopt;
    return link_row(s);
  });
}

std::vector<BotLink> links_of(Database& database, const std::string& account_id) {
  return database.read([&](Db& db) {
    std::vector<BotLink> out;
    auto s = db.query(std::string(kLinkColumns) + "WHERE l.account_id = ? ORDER BY l.created_at, l.id", account_id);
    while (s.step()) out.push_back(link_row(s));
    return out;
  });
}

bool unlink(Database& database, const std::string& bot_id, const std::string& telegram_id) {
  return database.write([&](Db& db) {
    auto account = db.scalar_text("SELECT account_id FROM bot_links WHERE bot_id = ? AND telegram_id = ?", bot_id,
                                  telegram_id);
    if (!account) return false;
    db.touch(*account);
    db.run("DELETE FROM bot_links WHERE bot_id = ? AND telegram_id = ?", bot_id, telegram_id);
    return true;
  });
}

bool remove_link(Database& database, const std::string& account_id, const std::string& link_id) {
  return database.write([&](Db& db) {
    db.touch(account_id);
    return db.run("DELETE FROM bot_links WHERE id = ? AND account_id = ?", link_id, account_id) > 0;
  });
}

// Links and codes go with their account (ON DELETE CASCADE too).
std::vector<OwnedTable> owned_tables() {
  return {{DbScope::Control, "bot_links", "account_id", "", "", {}},
          {DbScope::Control, "bot_link_codes", "account_id", "", "", {}}};
}

}  // namespace cadenza::store::bot_repo
