// cadenza user add: create an account from the command line (the first admin, typically).
#include <cstdio>
#include <iostream>
#include <memory>

#include "cadenza/core/file_modes.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/password_policy.hpp"
#include "cadenza/store/control_store.hpp"
#include "cli/commands.hpp"
#include "cli/config_flags.hpp"

namespace cadenza::cli {
namespace {
struct UserAddArgs {
  ConfigFlags flags;
  std::string username, email, password, first = "Admin", last = "User", phone = "+10000000000", tenant;
  bool admin = false, op = false, password_stdin = false;
};
}  // namespace

void add_user(CLI::App& app, int& exit_code) {
  auto* user = app.add_subcommand("user", "Manage accounts");
  user->require_subcommand(1);
  auto* add = user->add_subcommand("add", "Create an account (--operator for the server's operator)");
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
  add->add_flag("--admin", a->admin, "Make the account an admin of its tenant");
  add->add_flag("--operator", a->op,
                "Make the account the server's operator (default tenant; creates tenants and their admins)");
  add->callback([a, &exit_code] {
    use_private_file_modes();
    if (a->password_stdin) std::getline(std::cin, a->password);
    if (auto problem = password_problem(a->password, a->username, a->email))
      throw Error(ErrorKind::BadRequest, *problem + " (--password or --password-stdin)");
    if (a->op && (a->admin || !a->tenant.empty()))
      throw Error(ErrorKind::BadRequest, "--operator belongs to the default tenant: no --admin or --tenant with it");
    auto cfg = a->flags.load();
    store::ControlStore control(cfg.storage);
    std::string tenant = a->tenant.empty() ? control.default_tenant().id : a->tenant;
    if (!control.find_tenant(tenant)) throw Error(ErrorKind::NotFound, "unknown tenant " + tenant);
    auto acc = control.create_account({tenant, a->username, a->first, a->last, a->email, a->phone,
                                       a->op ? "operator" : a->admin ? "admin" : "user", a->password});
    std::printf("created %s %s (%s) in tenant %s\n", acc.role.c_str(), acc.username.c_str(), acc.id.c_str(),
                tenant.c_str());
    exit_code = 0;
  });
}

}  // namespace cadenza::cli
