#pragma once
// Bot clients (control tables bots, bot_links, bot_link_codes; control migration 0004): chat bots (the
// design's Telegram bot) that an operator registers with `cadenza bot add NAME`, and the accounts their
// chat users linked with a one-time code. All functions take the control database
// (ControlStore::database()).
//
// Secrets are kept only as sha256:
// - a bot's token, "cdzb_<prefix>_<random>", returned once by add() (the prefix is its public part, listed);
// - a link code, 8 characters of Crockford's base32 (40 random bits), shown as "ABCD-EFGH" to the signed-in
//   user who asked for it, good for one use within kLinkCodeTtlMs. Redeeming normalises what a person typed:
//   case, spaces and dashes do not matter, O reads as 0 and I or L as 1.
//
// A link is (bot, telegram_id) -> account: the telegram id is the bot's name for its chat user, so the same
// id under another bot is another link, and a bot can use only its own links.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cadenza/store/db.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {

struct Bot {
  std::string id;
  std::string name;
  std::string prefix;             // the token's public part: "cdzb_<prefix>_…"
  std::int64_t created_at = 0;    // epoch ms
  std::int64_t last_used_at = 0;  // 0 = never
  std::int64_t links = 0;         // linked chat users (list() only)
};

struct BotLink {
  std::string id;
  std::string bot_id;
  std::string bot_name;
  std::string telegram_id;
  std::string account_id;
  std::int64_t created_at = 0;
};

struct LinkCode {
  std::string code;  // "ABCD-EFGH": shown once
  std::int64_t expires_at = 0;
};

namespace bot_repo {

constexpr std::int64_t kLinkCodeTtlMs = 10 * 60 * 1000;

// Registers a bot; returns it with its token, which is shown once. Error(BadRequest) naming "name" for a
// name that is empty, longer than 64 characters or not [A-Za-z0-9_.-]; Error(Conflict) when a bot of that
// name (case-insensitively) exists.
std::pair<Bot, std::string> add(Database& db, const std::string& name);
std::vector<Bot> list(Database& db);  // by name, with their link counts
// Removes a bot and its links. Error(NotFound) for an unknown name.
void remove(Database& db, const std::string& name);
// The bot whose token this is (by the token's sha256), or nullopt. Updates last_used_at at most once a minute.
std::optional<Bot> find_by_token(Database& db, const std::string& token);

// A new link code for the account; an older unused one stops working. Expired codes of every account go.
LinkCode create_link_code(Database& db, const std::string& account_id, std::int64_t now);
// Uses a code: links (bot, telegram_id) to the code's account, replacing a link of that telegram id under
// this bot to another account. nullopt, and nothing linked, when the code is unknown, used or expired.
std::optional<BotLink> redeem_link_code(Database& db, const std::string& bot_id, const std::string& code,
                                        const std::string& telegram_id, std::int64_t now);

std::optional<BotLink> find_link(Database& db, const std::string& bot_id, const std::string& telegram_id);
std::vector<BotLink> links_of(Database& db, const std::string& account_id);  // oldest first
// false when the bot has no such link.
bool unlink(Database& db, const std::string& bot_id, const std::string& telegram_id);
// The account removes one of its links by id; false when it has no such link.
bool remove_link(Database& db, const std::string& account_id, const std::string& link_id);

// "ABCD-EFGH" for what a person may type ("abcd efgh", "ABCDEFGH", "abcd-efgo"); nullopt when it cannot be
// a code (wrong length or characters).
std::optional<std::string> normalize_code(const std::string& typed);

std::vector<OwnedTable> owned_tables();

}  // namespace bot_repo
}  // namespace cadenza::store
