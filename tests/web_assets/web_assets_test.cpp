#include "cadenza/http/web_assets.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>

using cadenza::http::find_web_asset;
using cadenza::http::web_asset_at;
using cadenza::http::web_asset_count;
using cadenza::http::WebAsset;

TEST_CASE("index.html is embedded as HTML, revalidated rather than immutable") {
  const WebAsset* index = find_web_asset("index.html");
  REQUIRE(index != nullptr);
  CHECK(index->path == "index.html");
  CHECK(index->content_type.substr(0, 9) == "text/html");
  CHECK(index->body.find("<html") != std::string_view::npos);
  CHECK_FALSE(index->immutable);
}

TEST_CASE("absent paths are not found") {
  CHECK(find_web_asset("missing") == nullptr);
  CHECK(find_web_asset("") == nullptr);
  CHECK(find_web_asset("/index.html") == nullptr);  // no leading '/'
  CHECK(find_web_asset("index.htm") == nullptr);
  CHECK(find_web_asset("assets") == nullptr);
}

TEST_CASE("every asset has a quoted strong ETag, distinct per body, and a content type") {
  REQUIRE(web_asset_count() >= 1);
  std::set<std::string> etags, bodies, paths;
  for (std::size_t i = 0; i < web_asset_count(); ++i) {
    const WebAsset& a = web_asset_at(i);
    CAPTURE(a.path);
    CHECK_FALSE(a.path.empty());
    CHECK(a.path.front() != '/');
    CHECK(paths.insert(std::string(a.path)).second);
    CHECK(find_web_asset(a.path) == &a);
    CHECK_FALSE(a.content_type.empty());
    REQUIRE(a.etag.size() > 2);
    CHECK(a.etag.front() == '"');
    CHECK(a.etag.back() == '"');
    CHECK(a.etag.substr(0, 2) != "W/");
    CHECK(a.etag.substr(1, a.etag.size() - 2).find('"') == std::string_view::npos);
    // Same body <=> same ETag.
    bool new_body = bodies.insert(std::string(a.body)).second;
    bool new_etag = etags.insert(std::string(a.etag)).second;
    CHECK(new_body == new_etag);
  }
}

TEST_CASE("hashed files under assets/ are immutable, the rest are not") {
  bool any_hashed = false;
  for (std::size_t i = 0; i < web_asset_count(); ++i) {
    const WebAsset& a = web_asset_at(i);
    CAPTURE(a.path);
    const bool under_assets = a.path.substr(0, 7) == "assets/";
    CHECK(a.immutable == under_assets);
    if (under_assets) {
      any_hashed = true;
      if (a.path.ends_with(".js")) CHECK(a.content_type.substr(0, 15) == "text/javascript");
      if (a.path.ends_with(".css")) CHECK(a.content_type.substr(0, 8) == "text/css");
    }
  }
  // The real app references its hashed bundles from index.html; the placeholder page has none.
  const WebAsset* index = find_web_asset("index.html");
  REQUIRE(index != nullptr);
  if (index->body.find("/assets/") != std::string_view::npos) CHECK(any_hashed);
}

TEST_CASE("index.html references only embedded assets") {
  const WebAsset* index = find_web_asset("index.html");
  REQUIRE(index != nullptr);
  std::string_view body = index->body;
  for (std::size_t pos = body.find("/assets/"); pos != std::string_view::npos; pos = body.find("/assets/", pos + 1)) {
    std::size_t end = body.find_first_of("\"' >", pos);
    REQUIRE(end != std::string_view::npos);
    std::string_view ref = body.substr(pos + 1, end - pos - 1);
    CAPTURE(ref);
    const WebAsset* a = find_web_asset(ref);
    REQUIRE(a != nullptr);
    CHECK(a->immutable);
    CHECK_FALSE(a->body.empty());
  }
}
