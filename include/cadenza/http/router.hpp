#pragma once
// Router: method + path pattern ("/api/jobs/{id}") -> handler. One table for the whole API; the
// same table feeds metrics labels (the pattern) and the body limit per route.
#include <functional>
#include <string>
#include <vector>

#include "cadenza/core/schema.hpp"
#include "cadenza/http/message.hpp"

namespace cadenza::http {

using Handler = std::function<Response(Request&)>;

enum class Access {
  Public,         // no credentials needed
  Authenticated,  // bearer token or API key required (401 otherwise)
};

// How a route is served, given where it is registered: r.add("GET", "/x", h, {.access = Access::Public}).
struct RouteOptions {
  Access access = Access::Authenticated;
  bool upload = false;    // body limit server.upload_limit, not server.body_limit; spooled to disk (Request::upload)
  bool blocking = false;  // CPU-heavy (password hashing): runs on the blocking pool, not an IO thread
  // Mostly waiting (a long poll): runs on the wait pool (16 threads), so waits never hold the blocking pool's
  // two threads that streams, replays and CPU-heavy handlers need.
  bool waits = false;
  // A public read limited per client address like public writes (the gallery, a bot's reads); other public
  // reads (health, the web app, openapi) are not limited.
  bool limit_reads = false;
  // GET responses are kept in the response cache per requester and served from it until the profile
  // {id} of the path (or the requester) is written to: the store reports every committed write of a
  // profile's data, whoever made it (a request, a job), and the cache drops what it read (see App).
  bool cache = false;
  // The JSON body's description: the handler's req.json() checks the body against it (400 naming every bad
  // field, unknown fields refused), and /api/openapi.json documents it as the request schema.
  const schema::Body* body = nullptr;
};

struct Route : RouteOptions {
  std::string method;
  std::string pattern;  // "/api/jobs/{id}"
  Handler handler;
  std::vector<std::string> segments;  // pattern split on '/'
};

struct Match {
  const Route* route = nullptr;            // null: no route for this method
  std::vector<std::string> allowed;        // methods that exist for the path (405 when route is null)
};

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});
  // Finds the route for method + path and fills req_params.
  Match match(const std::string& method, const std::string& path,
              std::map<std::string, std::string>& params) const;
  const std::vector<Route>& routes() const { return routes_; }
  // Public GET/HEAD handler for paths no route matches (the browser app).
  void set_fallback(Handler h) { fallback_ = std::move(h); }
  const Handler& fallback() const { return fallback_; }

 private:
  std::vector<Route> routes_;
  Handler fallback_;
};

}  // namespace cadenza::http
