#include "profile_scope.hpp"

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"

namespace cadenza::http::detail {

std::string profile_id(App& app, const Request& req) {
  const auto& who = req.who();
  const auto& id = req.params.at("id");
  if (id == who.account_id) return id;  // the principal's own account was just verified
  auto acc = is_uuid(id) ? app.control.find_account(id) : std::nullopt;
  if (!acc || acc->tenant_id != who.tenant_id) throw Error(ErrorKind::NotFound, "Profile " + id + " not found");
  if (!who.is_admin()) throw Error(ErrorKind::Forbidden, "This profile belongs to another account");
  return id;
}

store::Database& tenant_db(App& app, const Request& req) { return app.tenants.get(req.who().tenant_id); }

nlohmann::json apply_merge_patch(const nlohmann::json& patch, const nlohmann::json& current,
                                 std::initializer_list<const char*> read_only,
                                 std::initializer_list<const char*> allowed) {
  Validation v;
  for (const auto& [key, value] : patch.items()) {
    bool known = current.contains(key);
    for (const char* a : allowed) known = known || key == a;
    if (!known) v.fail(key, "unknown field");
  }
  for (const char* key : read_only)
    if (patch.contains(key) && patch[key] != current.value(key, nlohmann::json())) v.fail(key, "is read-only");
  v.throw_if_failed();
  auto result = current;
  result.merge_patch(patch);
  return result;
}

}  // namespace cadenza::http::detail
