// UploadSpool: what an upload route's body becomes on disk, raw or multipart, without a socket.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/store/blob_store.hpp"
#include "http/upload_spool.hpp"
#include "test_server.hpp"

using namespace cadenza;
using namespace cadenza::http;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A blob store in a fresh directory.
struct Fixture {
  test::TempDir dir;
  config::StorageConfig storage = dir.storage();
  store::BlobStore blobs{storage, std::string(32, 's')};
};

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

// The error field a spool refuses `body` with.
std::string refused_field(store::BlobStore& blobs, const std::string& content_type, const std::string& body) {
  try {
    UploadSpool up(blobs, content_type);
    up.write(body);
    up.finish();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadRequest);
    REQUIRE(e.fields().size() == 1);
    return e.fields().begin()->first;
  }
  FAIL("accepted");
  return "";
}

}  // namespace

TEST_CASE("upload spool: a raw body is written and hashed in pieces; the file goes with the spool") {
  Fixture fx;
  auto& blobs = fx.blobs;
  std::string body;
  Upload got;
  {
    UploadSpool up(blobs, "audio/wav");
    CHECK(files_in(blobs.spool_dir()) == 0);  // nothing on disk before the first piece
    for (int i = 0; i < 100; ++i) {
      auto piece = std::string(1000 + i, static_cast<char>(i));
      body += piece;
      up.write(piece);
    }
    got = up.finish();
    CHECK(got.sha256 == crypto::sha256_hex(body));
    CHECK(got.size == body.size());
    CHECK_FALSE(got.multipart);
    CHECK(got.content_type == "audio/wav");
    CHECK(slurp(got.path) == body);
  }
  CHECK_FALSE(std::filesystem::exists(got.path));  // not moved: removed
}

TEST_CASE("upload spool: a multipart form's file part is the file, the rest are fields; put_spooled keeps it") {
  Fixture fx;
  auto& blobs = fx.blobs;
  const std::string file("MThd\r\n\x00\x01--XyZ-not-quite", 23);
  std::string full = "--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nTake 1\r\n"
                     "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mid\"\r\nContent-Type: audio/midi\r\n\r\n" +
                     file + "\r\n--XyZ--\r\n";
  UploadSpool up(blobs, "multipart/form-data; boundary=XyZ");
  for (std::size_t i = 0; i < full.size(); i += 7) up.write(std::string_view(full).substr(i, 7));
  auto got = up.finish();
  CHECK(got.multipart);
  CHECK(got.filename == "a.mid");
  CHECK(got.content_type == "audio/midi");
  CHECK(got.fields == std::map<std::string, std::string>{{"name", "Take 1"}});
  CHECK(got.size == file.size());
  CHECK(got.sha256 == crypto::sha256_hex(file));
  CHECK(slurp(got.path) == file);
  const auto tenant = new_uuid();
  CHECK(blobs.put_spooled(tenant, got.path, got.sha256) == got.sha256);
  CHECK_FALSE(std::filesystem::exists(got.path));
  REQUIRE(blobs.path(tenant, got.sha256));
  CHECK(slurp(blobs.path(tenant, got.sha256)->string()) == file);
}

TEST_CASE("upload spool: forms it refuses, naming the field") {
  Fixture fx;
  auto& blobs = fx.blobs;
  const std::string ct = "multipart/form-data; boundary=b";
  auto part = [](const std::string& name, const std::string& bytes) {
    return "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + bytes + "\r\n";
  };
  CHECK(refused_field(blobs, ct, part("name", "x") + "--b--") == "file");                      // no file
  CHECK(refused_field(blobs, ct, part("file", "1") + part("file", "2") + "--b--") == "file");  // two
  CHECK(refused_field(blobs, ct, part("name", "1") + part("name", "2") + part("file", "x") + "--b--") == "name");
  CHECK(refused_field(blobs, ct, part("note", std::string(1025, 'n')) + part("file", "x") + "--b--") == "note");
  CHECK(refused_field(blobs, ct, part("file", "x")) == "body");  // no closing delimiter
  CHECK(refused_field(blobs, "multipart/form-data", "") == "body");
  std::string many;
  for (int i = 0; i < 17; ++i) many += part("f" + std::to_string(i), "v");
  CHECK(refused_field(blobs, ct, many + part("file", "x") + "--b--") == "body");
  CHECK(files_in(blobs.spool_dir()) == 0);  // every refusal took its spool file along
}
