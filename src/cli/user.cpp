// cadenza user add: create an account from the command line (the first admin, typically).
#include <cstdio>
#include <iostream>
#include <memory>

#include "cadenza/core/error.hpp"
#include "cadenza/store/control_store.hpp"
#include "cli/commands.hpp"
#include "cli/config_flags.hpp"

namespace cadenza::cli {
namespace {
struct UserAddArgs {
  ConfigFlags flags;
  std::string username, email, password, first = "Admin", last = "User", phone = "+10000000000", tenant;
  bool admin = false, password_stdin = false;
};
}  // namespace

void add_user(CLI::App& app, int& exit_code) {
  auto* user = app.add_subcommand("user", "Manage accounts");
  user->require_subcommand(1);
  auto* add = user->add_subcommand("add", "Create an account (use --admin for the first administrator)");
  auto a = std::make_shared<UserAddArgs>();
  a->flags.add_to(add, false);
  add->add_option("--username", a->username, "Username")->required();
  add->add_option("--email", a->email, "Email address")->required();
  add->add_option("--password", a->password, "Password (at least 8 characters)");
  add->add_flag("--password-stdin", a->password_stdin, "Read the password from standard input");
  add->add_option("--first-name", a->first, "First name");
  add->add_option("--last-name", a->last, "Last name");
  add->add_option("--phone", a->phone, "Phone number with country code");
  add->add_option("--tenant", a->tenant, "Tenant id (default: the default tenant)");
  add->add_flag("--admin", a->admin, "Give the account the admin role");
  add->callback([a, &exit_code] {
    if (a->password_stdin) std::getline(std::cin, a->password);
    if (a->password.size() < 8)
      throw Error(ErrorKind::BadRequest, "password must be at least 8 characters (--password or --password-stdin)");
    auto cfg = a->flags.load();
    store::ControlStore control(cfg.storage);
    std::string tenant = a->tenant.empty() ? control.default_tenant().id : a->tenant;
    if (!control.find_tenant(tenant)) throw Error(ErrorKind::NotFound, "unknown tenant " + tenant);
    auto acc = control.create_account({tenant, a->username, a->first, a->last, a->email, a->phone,
                                       a->admin ? "admin" : "user", a->password});
    std::printf("created %s %s (%s) in tenant %s\n", acc.role.c_str(), acc.username.c_str(), acc.id.c_str(),
                tenant.c_str());
    exit_code = 0;
  });
}

}  // namespace cadenza::cli
