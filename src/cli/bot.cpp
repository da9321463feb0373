// cadenza bot add|list|remove: the bot clients (the design's Telegram bot) that may call /api/telegram/*.
// `add` prints the bot's token once; only its sha256 is kept (store/bot_repo.hpp).
#include <cstdio>
#include <memory>
#include <string>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/file_modes.hpp"
#include "cadenza/store/bot_repo.hpp"
#include "cadenza/store/control_store.hpp"
#include "cli/commands.hpp"
#include "cli/config_flags.hpp"

namespace cadenza::cli {
namespace {
struct BotArgs {
  ConfigFlags flags;
  std::string name;
};
}  // namespace

void add_bot(CLI::App& app, int& exit_code) {
  auto* bot = app.add_subcommand("bot", "Manage bot clients (POST /api/telegram/*, authenticated by a bot token)");
  bot->require_subcommand(1);

  auto* add = bot->add_subcommand("add", "Register a bot and print its token (shown once; only its hash is kept)");
  auto a = std::make_shared<BotArgs>();
  a->flags.add_to(add, false);
  add->add_option("NAME", a->name, "The bot's name (1 to 64 characters of A-Z a-z 0-9 _ . -)")->required();
  add->callback([a, &exit_code] {
    use_private_file_modes();
    store::ControlStore control(a->flags.load().storage);
    auto [b, token] = store::bot_repo::add(control.database(), a->name);
    std::fprintf(stderr, "registered bot %s (%s); its token, shown only now (send it as `Authorization: Bot <token>`):\n",
                 b.name.c_str(), b.id.c_str());
    std::printf("%s\n", token.c_str());
    exit_code = 0;
  });

  auto* list = bot->add_subcommand("list", "List the bots: name, token prefix, links, created, last used");
  auto l = std::make_shared<BotArgs>();
  l->flags.add_to(list, false);
  list->callback([l, &exit_code] {
    use_private_file_modes();
    store::ControlStore control(l->flags.load().storage);
    for (const auto& b : store::bot_repo::list(control.database()))
      std::printf("%s\tcdzb_%s_...\t%lld links\tcreated %s\tlast used %s\n", b.name.c_str(), b.prefix.c_str(),
                  static_cast<long long>(b.links), iso8601(b.created_at).c_str(),
                  b.last_used_at ? iso8601(b.last_used_at).c_str() : "never");
    exit_code = 0;
  });

  auto* remove = bot->add_subcommand("remove", "Remove a bot: its token stops working and its links go");
  auto r = std::make_shared<BotArgs>();
  r->flags.add_to(remove, false);
  remove->add_option("NAME", r->name, "The bot's name")->required();
  remove->callback([r, &exit_code] {
    use_private_file_modes();
    store::ControlStore control(r->flags.load().storage);
    store::bot_repo::remove(control.database(), r->name);
    std::printf("removed bot %s\n", r->name.c_str());
    exit_code = 0;
  });
}

}  // namespace cadenza::cli
