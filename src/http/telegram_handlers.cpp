// Bot clients (the design's Telegram bot). An operator registers a bot with `cadenza bot add NAME`, which
// shows its token once (store/bot_repo.hpp). Two sides:
// - the bot's routes, /api/telegram/*, authenticated by `Authorization: Bot <token>` (public to dispatch,
//   which limits them per client address like every unauthenticated write; authenticated here, failures
//   counted like any other): link a chat user with a code, look a link up, unlink, and convert on behalf of
//   the linked account (POST /api/convert's code path: same body, job and answers; only who is asking is
//   decided differently), and read such a conversion's status and output;
// - the account's routes, /api/auth/telegram-*, with the account's own credentials: a one-time link code to
//   give the bot, the account's links, and removing one.
// The bot token comes only in the header: an upload is refused before its body is read unless the request
// carries credentials (http_upload.cpp), so a token inside the body could not open the door. The design's
// contract also carries it as additional_data.bot_token: accepted there, but it must be the header's token
// (401 otherwise), and it is never echoed or stored.
#include <cctype>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/store/bot_repo.hpp"
#include "conversions.hpp"

namespace cadenza::http {
namespace {

using nlohmann::json;

json id_like() {  // a telegram id as bots send it: a string or a number
  return {{"anyOf", json::array({schema::string(64, 1), schema::integer(-(1LL << 53), 1LL << 53)})}};
}

const schema::Body kNewLink{"TelegramLinkRequest", schema::object({
    {"code", schema::string(32, 1), schema::Required},
    {"telegram_id", id_like(), schema::Required},
})};

// A telegram id (string or integer) as the store keeps it; "" when absent or empty.
std::string telegram_id_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  return "";
}

json link_json(App& app, const store::BotLink& l) {
  auto account = app.control.find_account(l.account_id);
  return {{"id", l.id},
          {"bot", l.bot_name},
          {"telegram_id", l.telegram_id},
          {"user_id", l.account_id},
          {"username", account ? json(account->username) : json(nullptr)},
          {"created_at", iso8601(l.created_at)}};
}

struct BotCaller {
  store::Bot bot;
  std::string token;
};

// The bot of the request's `Authorization: Bot <token>`; Error(Unauthorized) without one or for a wrong one
// (counted per client address: past ratelimit.auth_failures_per_min, 429 before the token is looked at).
BotCaller require_bot(App& app, const Request& req) {
  auto token = request_bot_token(req);
  if (!token || token->empty())
    throw Error(ErrorKind::Unauthorized, "Bot credentials required: Authorization: Bot <token> (cadenza bot add NAME)");
  check_auth_failures(app, req);
  auto bot = store::bot_repo::find_by_token(app.control.database(), *token);
  if (!bot) {
    count_auth_failure(app, req);
    throw Error(ErrorKind::Unauthorized, "Invalid bot token");
  }
  return {std::move(*bot), std::move(*token)};
}

// The account a chat user of this bot acts as: Error(Forbidden) unless linked (to a live account).
Principal linked_account(App& app, const store::Bot& bot, const std::string& telegram_id) {
  auto refuse = Error(ErrorKind::Forbidden, "Telegram user " + telegram_id + " is not linked to an account for bot " +
                                                bot.name + ": get a link code in the app and send it to POST /api/telegram/links");
  auto link = store::bot_repo::find_link(app.control.database(), bot.id, telegram_id);
  if (!link) throw refuse;
  auto account = app.control.find_account(link->account_id);  // one being deleted is gone already
  if (!account) throw refuse;
  return {account->id, account->tenant_id, account->role};
}

Response convert(App& app, Request& req) {
  auto caller = require_bot(app, req);  // before the body: a refused upload was never read
  return submit_conversion(app, req, [&](json& body, Validation& v) {
    json* extra = body.contains("additional_data") && body["additional_data"].is_object() ? &body["additional_data"] : nullptr;
    if (extra && extra->contains("bot_token") && (*extra)["bot_token"].is_string() &&
        !crypto::equal((*extra)["bot_token"].get<std::string>(), caller.token)) {
      count_auth_failure(app, req);
      throw Error(ErrorKind::Unauthorized, "additional_data.bot_token is not the token of the Authorization header");
    }
    // Who it is for comes before the rest of the body is judged; a 400 still names every bad field.
    if (v.has("additional_data") || v.has("additional_data.telegram_id")) v.throw_if_failed();
    auto telegram_id = extra && extra->contains("telegram_id") ? telegram_id_of((*extra)["telegram_id"]) : "";
    if (telegram_id.empty()) {
      v.fail("additional_data.telegram_id", "is required: the chat user the conversion is for");
      v.throw_if_failed();
    }
    auto who = linked_account(app, caller.bot, telegram_id);
    if (!v.has("source")) {
      if (body.contains("source") && !body["source"].is_null() && body["source"] != "telegram")
        v.fail("source", "must be telegram (or left out) on POST /api/telegram/convert");
      else
        body["source"] = "telegram";
    }
    return who;
  });
}

Response link(App& app, Request& req) {
  auto caller = require_bot(app, req);
  const auto& j = req.json();
  auto telegram_id = telegram_id_of(j["telegram_id"]);
  auto made = store::bot_repo::redeem_link_code(app.control.database(), caller.bot.id, j["code"].get<std::string>(),
                                                telegram_id, now_ms());
  if (!made)
    throw Error(ErrorKind::Forbidden, "This link code is unknown, used or expired: ask for a new one in the app",
                {{"code", "unknown, used or expired"}});
  return Response::json(201, link_json(app, *made));
}

Response find(App& app, Request& req) {
  auto caller = require_bot(app, req);
  const auto& telegram_id = req.params.at("telegramId");
  auto l = store::bot_repo::find_link(app.control.database(), caller.bot.id, telegram_id);
  if (!l || !app.control.find_account(l->account_id))
    throw Error(ErrorKind::NotFound, "Telegram user " + telegram_id + " is not linked for bot " + caller.bot.name);
  return Response::json(200, link_json(app, *l));
}

// A conversion the bot submitted for a linked chat user (or any it may see as that user): its status and,
// once done, the output URLs. `?telegram_id=` says who is asking; the same visibility as
// GET /api/conversions/{id} for that account.
Response conversion(App& app, Request& req) {
  auto caller = require_bot(app, req);
  auto telegram_id = req.query_param("telegram_id").value_or("");
  if (telegram_id.empty())
    throw Error(ErrorKind::BadRequest, "telegram_id is required: the chat user asking",
                {{"telegram_id", "is required"}});
  auto who = linked_account(app, caller.bot, telegram_id);
  return Response::json(200, conversion_view(app, who, req.params.at("conversionId")));
}

Response unlink(App& app, Request& req) {
  auto caller = require_bot(app, req);
  const auto& telegram_id = req.params.at("telegramId");
  if (!store::bot_repo::unlink(app.control.database(), caller.bot.id, telegram_id))
    throw Error(ErrorKind::NotFound, "Telegram user " + telegram_id + " is not linked for bot " + caller.bot.name);
  return Response::empty(204);
}

Response new_code(App& app, Request& req) {
  auto code = store::bot_repo::create_link_code(app.control.database(), req.who().account_id, now_ms());
  return Response::json(201, {{"code", code.code}, {"expires_at", iso8601(code.expires_at)}})
      .header("Cache-Control", "no-store");
}

Response my_links(App& app, Request& req) {
  json list = json::array();
  for (const auto& l : store::bot_repo::links_of(app.control.database(), req.who().account_id))
    list.push_back(link_json(app, l));
  return Response::json(200, {{"links", list}});
}

Response remove_mine(App& app, Request& req) {
  const auto& id = req.params.at("linkId");
  if (!is_uuid(id) || !store::bot_repo::remove_link(app.control.database(), req.who().account_id, id))
    throw Error(ErrorKind::NotFound, "Link " + id + " not found");
  return Response::empty(204);
}

}  // namespace

std::optional<std::string> request_bot_token(const Request& req) {
  auto h = req.header("authorization");
  if (!h) return std::nullopt;
  auto v = *h;
  constexpr std::string_view scheme = "bot";  // case-insensitive, then one or more spaces (RFC 7235)
  if (v.size() <= scheme.size() || (v[scheme.size()] != ' ' && v[scheme.size()] != '\t')) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(v[i])) != scheme[i]) return std::nullopt;
  v.remove_prefix(scheme.size());
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return std::string(v);
}

bool has_bot_credentials(App& app, const Request& req) {
  auto token = request_bot_token(req);
  return token && !token->empty() && store::bot_repo::find_by_token(app.control.database(), *token).has_value();
}

void add_telegram_routes(App& app) {
  auto& r = app.router;
  // The bot's: public to dispatch (limited per address, reads too), authenticated by the bot token here.
  r.add("POST", "/api/telegram/convert", [&app](Request& req) { return convert(app, req); },
        {.access = Access::Public, .upload = true, .body = &convert_request_body()});
  r.add("GET", "/api/telegram/conversions/{conversionId}", [&app](Request& req) { return conversion(app, req); },
        {.access = Access::Public, .limit_reads = true});
  r.add("POST", "/api/telegram/links", [&app](Request& req) { return link(app, req); },
        {.access = Access::Public, .body = &kNewLink});
  r.add("GET", "/api/telegram/links/{telegramId}", [&app](Request& req) { return find(app, req); },
        {.access = Access::Public, .limit_reads = true});
  r.add("DELETE", "/api/telegram/links/{telegramId}", [&app](Request& req) { return unlink(app, req); },
        {.access = Access::Public});
  // The account's.
  r.add("POST", "/api/auth/telegram-link-codes", [&app](Request& req) { return new_code(app, req); });
  r.add("GET", "/api/auth/telegram-links", [&app](Request& req) { return my_links(app, req); });
  r.add("DELETE", "/api/auth/telegram-links/{linkId}", [&app](Request& req) { return remove_mine(app, req); });
}

}  // namespace cadenza::http
