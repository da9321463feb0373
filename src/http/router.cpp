#include "cadenza/http/router.hpp"

#include <algorithm>

namespace cadenza::http {
namespace {
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    auto j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool match_segments(const Route& r, const std::vector<std::string>& segs, std::map<std::string, std::string>& params) {
  if (r.segments.size() != segs.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const auto& p = r.segments[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      found.emplace(p.substr(1, p.size() - 2), segs[i]);
    } else if (p != segs[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}
}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  Route r{options, std::move(method), std::move(pattern), std::move(handler), {}};
  r.segments = split_path(r.pattern);
  routes_.push_back(std::move(r));
}

Match Router::match(const std::string& method, const std::string& path,
                    std::map<std::string, std::string>& params) const {
  Match m;
  auto segs = split_path(path);
  for (const auto& r : routes_) {
    std::map<std::string, std::string> p;
    if (!match_segments(r, segs, p)) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      if (!m.route) {
        m.route = &r;
        params = std::move(p);
      }
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end()) m.allowed.push_back(r.method);
  }
  return m;
}

}  // namespace cadenza::http
