#include "cadenza/http/web_assets.hpp"

#include <algorithm>

namespace cadenza::http {
namespace detail {
// Defined in the generated <build>/web/web_assets_data.cpp, in path order.
extern const WebAsset web_asset_table[];
extern const std::size_t web_asset_table_size;
}  // namespace detail

const WebAsset* find_web_asset(std::string_view path) {
  const WebAsset* begin = detail::web_asset_table;
  const WebAsset* end = begin + detail::web_asset_table_size;
  // A few dozen entries: a linear scan is as fast as anything and needs no ordering guarantee.
  const WebAsset* it = std::find_if(begin, end, [path](const WebAsset& a) { return a.path == path; });
  return it != end ? it : nullptr;
}

std::size_t web_asset_count() { return detail::web_asset_table_size; }

const WebAsset& web_asset_at(std::size_t i) { return detail::web_asset_table[i]; }

}  // namespace cadenza::http
