#pragma once
// The browser app, embedded at build time (cmake/web.cmake builds web/ and generates the table).
// Serving (index.html fallback for client routes, Cache-Control, If-None-Match, --web-dir) is the
// http module's job; this is only the table.

#include <cstddef>
#include <string_view>

namespace cadenza::http {

struct WebAsset {
  std::string_view path;          // "index.html", "assets/index-abc123.js" (no leading '/')
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view etag;          // strong ETag, quoted: "\"3f2a...\"" (SHA-256 prefix of body)
  std::string_view body;
  bool immutable;                 // under assets/ (content-hashed names): cache forever
};

// path without leading '/'; nullptr if absent.
const WebAsset* find_web_asset(std::string_view path);
std::size_t web_asset_count();
// All assets, in path order (index i < web_asset_count()).
const WebAsset& web_asset_at(std::size_t i);

}  // namespace cadenza::http
