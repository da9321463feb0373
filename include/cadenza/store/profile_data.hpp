#pragma once
// Data a profile owns: every table with rows that belong to one profile (an account id), registered by
// the repository that writes it. Counting a profile's dependents, deleting a profile and the test that
// fails on an unregistered profile_id / owner_id / account_id column all read this one list.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cadenza::store {

class Db;

enum class DbScope { Tenant, Control };

// Rows hanging off an owned table's rows: DELETE FROM <table> WHERE <column> IN (SELECT <parent_column>
// FROM <owner table> WHERE <owner column> = ?), run before the owner table's rows go.
struct ChildRows {
  std::string table, column, parent_column;
};

struct OwnedTable {
  DbScope scope = DbScope::Tenant;
  std::string table;
  std::string column;          // holds the profile's id
  std::string dependents_key;  // counted under this name in "dependents" (a refused delete, 409); "" = not
  std::string count_where;     // extra condition for that count ("source = 'user'"); "" = none
  std::vector<ChildRows> children;
};

// What each repository registers (declared here, defined next to the repository's SQL).
namespace conversion_repo { std::vector<OwnedTable> owned_tables(); }
namespace webhook_repo { std::vector<OwnedTable> owned_tables(); }
namespace transcription_repo { std::vector<OwnedTable> owned_tables(); }
namespace job_repo { std::vector<OwnedTable> owned_tables(); }
namespace listen_repo { std::vector<OwnedTable> owned_tables(); }
namespace preference_repo { std::vector<OwnedTable> owned_tables(); }
namespace tune_vector_repo { std::vector<OwnedTable> owned_tables(); }
namespace variable_repo { std::vector<OwnedTable> owned_tables(); }
namespace blob_repo { std::vector<OwnedTable> owned_tables(); }
namespace bot_repo { std::vector<OwnedTable> owned_tables(); }
std::vector<OwnedTable> control_owned_tables();  // control_store.cpp

// All of them, tenant tables first, in deletion order.
const std::vector<OwnedTable>& owned_tables();

// dependents_key -> rows, only keys with rows > 0.
using DependentCounts = std::map<std::string, std::int64_t>;
// The profile's counted rows in one database of `scope`.
DependentCounts count_dependents(Db& db, DbScope scope, const std::string& profile_id);
// Deletes every registered row of the profile in one database of `scope`, inside the caller's
// transaction; returns the counted rows it deleted.
DependentCounts delete_owned_rows(Db& db, DbScope scope, const std::string& profile_id);

}  // namespace cadenza::store
