// The browser app: embedded build of web/ (or server.web_dir from disk), with ETags, immutable
// caching for hashed assets and index.html for client-side routes.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/web_assets.hpp"
#include "soundfont.hpp"

namespace cadenza::http {
namespace {

std::string content_type_for(const std::string& path) {
  static const std::pair<const char*, const char*> types[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
      {".svg", "image/svg+xml"},             {".png", "image/png"},
      {".ico", "image/x-icon"},              {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"},
      {".wasm", "application/wasm"},         {".mjs", "text/javascript; charset=utf-8"}};
  for (const auto& [ext, type] : types)
    if (path.size() >= std::strlen(ext) && path.compare(path.size() - std::strlen(ext), std::string::npos, ext) == 0) return type;
  return "application/octet-stream";
}

bool has_extension(const std::string& path) {
  auto slash = path.rfind('/');
  return path.find('.', slash == std::string::npos ? 0 : slash) != std::string::npos;
}

// The app's pages may load scripts, styles, fonts and API answers only from this server ('self' covers
// its ws:/wss: WebSocket too in CSP 3 browsers), images, audio and workers also from data:/blob: URLs the
// app makes, and may not be framed (frame-ancestors, and X-Frame-Options for older browsers).
// No inline styles or scripts (the app sets styles through the CSSOM, which a policy does not govern);
// 'wasm-unsafe-eval' lets the score viewer compile Verovio's WebAssembly (it allows no JavaScript eval).
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

Response asset_response(const Request& req, std::string body, std::string etag, std::string type, bool immutable) {
  Response r;
  r.header("ETag", etag);
  r.header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (type.rfind("text/html", 0) == 0) {
    r.header("Content-Security-Policy", kContentSecurityPolicy);
    r.header("X-Frame-Options", "DENY");
  }
  if (auto inm = req.header("if-none-match"); inm && *inm == etag) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

// From server.web_dir: only regular files strictly inside the directory.
std::optional<Response> from_disk(const std::string& dir, const Request& req, const std::string& rel) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto root = fs::weakly_canonical(dir, ec);
  auto p = fs::weakly_canonical(root / rel, ec);
  if (ec || p.string().rfind(root.string() + "/", 0) != 0 || !fs::is_regular_file(p, ec)) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto body = ss.str();
  auto etag = "\"" + crypto::sha256_hex(body).substr(0, 16) + "\"";
  return asset_response(req, std::move(body), etag, content_type_for(p.string()), rel.rfind("assets/", 0) == 0);
}

Response serve(App& app, const Request& req) {
  if (req.path.rfind("/api/", 0) == 0) throw Error(ErrorKind::NotFound, "No route for " + req.path);
  if (auto sf = soundfont_response(req)) return *sf;
  std::string rel = req.path.substr(1);
  if (rel.empty()) rel = "index.html";
  const auto& dir = app.config.server.web_dir;
  for (const auto& candidate : {rel, std::string("index.html")}) {
    if (candidate != rel && has_extension(rel)) break;  // a missing file is a 404, a client route gets index.html
    if (!dir.empty()) {
      if (auto r = from_disk(dir, req, candidate)) return *r;
    } else if (const auto* a = find_web_asset(candidate)) {
      return asset_response(req, std::string(a->body), std::string(a->etag), std::string(a->content_type), a->immutable);
    }
  }
  throw Error(ErrorKind::NotFound, "No such file: " + req.path);
}

}  // namespace

void add_web_routes(App& app) {
  app.router.set_fallback([&app](Request& req) { return serve(app, req); });
}

}  // namespace cadenza::http
