#include "cadenza/recommend/play_counts.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>

#include "cadenza/core/error.hpp"

namespace cadenza::recommend {

PlayCounts read_play_counts(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error{ErrorKind::NotFound, "cannot open play-count table " + path.string()};
  PlayCounts t;
  std::unordered_map<std::int64_t, std::int32_t> users, items;
  std::vector<std::unordered_map<std::int32_t, std::size_t>> where;  // per user: item -> position
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::int64_t user = 0, item = 0;
    double count = 1;
    if (!(fields >> user >> item)) {
      if (line_no == 1) continue;  // the header line
      throw Error{ErrorKind::BadRequest, path.string() + ":" + std::to_string(line_no) + ": expected user, item, count"};
    }
    if (!(fields >> count)) count = 1;
    auto [u, new_user] = users.try_emplace(user, std::int32_t(users.size()));
    if (new_user) {
      t.user_ids.push_back(user);
      t.items_per_user.emplace_back();
      t.counts_per_user.emplace_back();
      where.emplace_back();
    }
    auto [i, new_item] = items.try_emplace(item, std::int32_t(items.size()));
    if (new_item) t.item_ids.push_back(item);
    auto& pos = where[std::size_t(u->second)];
    auto [p, fresh] = pos.try_emplace(i->second, t.items_per_user[std::size_t(u->second)].size());
    if (fresh) {
      t.items_per_user[std::size_t(u->second)].push_back(i->second);
      t.counts_per_user[std::size_t(u->second)].push_back(count);
      ++t.n_interactions;
    } else {
      t.counts_per_user[std::size_t(u->second)][p->second] += count;
    }
  }
  return t;
}

}  // namespace cadenza::recommend
