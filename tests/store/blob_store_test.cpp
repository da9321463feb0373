#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/store/blob_store.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::store;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kSecret(32, 's');

}  // namespace

TEST_CASE("put is content-addressed, per tenant and idempotent") {
  test::TempDir dir;
  BlobStore blobs(dir.storage(), kSecret);
  const auto a = new_uuid(), b = new_uuid();
  const std::string bytes("RIFF\0\0WAVE data", 15);
  auto sha = blobs.put(a, bytes);
  CHECK(sha == crypto::sha256_hex(bytes));
  auto p = blobs.path(a, sha);
  REQUIRE(p);
  CHECK(*p == std::filesystem::path(dir.storage().data_dir) / "blobs" / a / sha.substr(0, 2) / sha);
  CHECK(slurp(*p) == bytes);
  auto mtime = std::filesystem::last_write_time(*p);
  CHECK(blobs.put(a, bytes) == sha);  // again: same blob, not rewritten
  CHECK(std::filesystem::last_write_time(*p) == mtime);
  CHECK_FALSE(blobs.path(b, sha));  // other tenant: not there
  // no temporary files left behind
  int files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(blobs.root())) files += e.is_regular_file();
  CHECK(files == 1);

  CHECK(blobs.remove(a, sha));
  CHECK_FALSE(blobs.path(a, sha));
  CHECK_FALSE(blobs.remove(a, sha));
}

TEST_CASE("put_file streams a file in and hashes it") {
  test::TempDir dir;
  BlobStore blobs(dir.storage(), kSecret);
  const auto a = new_uuid();
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  auto src = dir.path() / "upload.bin";
  std::ofstream(src, std::ios::binary) << big;
  auto sha = blobs.put_file(a, src);
  CHECK(sha == crypto::sha256_hex(big));
  CHECK(slurp(*blobs.path(a, sha)) == big);
  CHECK(blobs.put_file(a, src) == sha);
  CHECK(blobs.put(a, big) == sha);
  CHECK_THROWS_AS(blobs.put_file(a, dir.path() / "missing"), Error);
}

TEST_CASE("spool files: private, hashed while written, moved in by put_spooled, cleaned when stale") {
  test::TempDir dir;
  BlobStore blobs(dir.storage(), kSecret);
  const auto a = new_uuid();
  CHECK(blobs.spool_dir() == std::filesystem::path(dir.storage().data_dir) / "tmp");
  CHECK((std::filesystem::status(blobs.spool_dir()).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms::owner_all);
  std::string sha, path;
  {
    auto f = blobs.spool();
    path = f->path().string();
    CHECK((std::filesystem::status(f->path()).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    f->write("hello, ");
    f->write("world");
    CHECK(f->size() == 12);
    sha = f->finish();
    CHECK(sha == crypto::sha256_hex("hello, world"));
    CHECK_THROWS_AS(f->write("more"), Error);
    CHECK(blobs.put_spooled(a, f->path(), sha) == sha);
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(slurp(*blobs.path(a, sha)) == "hello, world");
  {
    auto f = blobs.spool();
    f->write("dropped");
    path = f->path().string();
  }
  CHECK_FALSE(std::filesystem::exists(path));  // never finished: removed
  // Only spool files can be moved in; a stale one is removed by clean_spool, other files are left.
  CHECK_THROWS_AS(blobs.put_spooled(a, dir.path() / "elsewhere", sha), Error);
  std::ofstream(blobs.spool_dir() / ".spool-stale") << "x";
  std::ofstream(blobs.spool_dir() / "other") << "x";
  CHECK(blobs.clean_spool() == 1);
  CHECK_FALSE(std::filesystem::exists(blobs.spool_dir() / ".spool-stale"));
  CHECK(std::filesystem::exists(blobs.spool_dir() / "other"));
}

TEST_CASE("ids are validated: no path traversal") {
  test::TempDir dir;
  BlobStore blobs(dir.storage(), kSecret);
  const auto a = new_uuid();
  auto sha = blobs.put(a, "x");
  for (std::string bad_tenant : {"..", "../../etc", "", "not-a-uuid", "/tmp"}) {
    CHECK_THROWS_AS(blobs.put(bad_tenant, "x"), Error);
    CHECK_THROWS_AS(blobs.path(bad_tenant, sha), Error);
  }
  for (std::string bad_sha : {"../" + sha.substr(3), sha.substr(1), sha + "0", std::string(64, 'G'), std::string("")}) {
    CHECK_THROWS_AS(blobs.path(a, bad_sha), Error);
    CHECK_THROWS_AS(blobs.remove(a, bad_sha), Error);
  }
}

TEST_CASE("signed URLs verify until they expire and fail when tampered with") {
  test::TempDir dir;
  BlobStore blobs(dir.storage(), kSecret);
  const auto a = new_uuid(), b = new_uuid();
  auto sha = blobs.put(a, "score.pdf bytes");
  const std::int64_t now = 1'800'000'000, expires = now + 3600;
  auto query = blobs.signed_query(a, sha, expires);
  REQUIRE(query.rfind("expires=" + std::to_string(expires) + "&sig=", 0) == 0);
  auto sig = query.substr(query.find("&sig=") + 5);

  CHECK(blobs.verify(a, sha, expires, sig, now));
  CHECK(blobs.verify(a, sha, expires, sig, expires));       // last valid second
  CHECK_FALSE(blobs.verify(a, sha, expires, sig, expires + 1));  // expired
  CHECK_FALSE(blobs.verify(a, sha, expires + 60, sig, now));  // extended expiry
  CHECK_FALSE(blobs.verify(b, sha, expires, sig, now));        // other tenant
  auto other_sha = blobs.put(a, "other");
  CHECK_FALSE(blobs.verify(a, other_sha, expires, sig, now));  // other blob
  std::string flipped = sig;
  flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
  CHECK_FALSE(blobs.verify(a, sha, expires, flipped, now));
  CHECK_FALSE(blobs.verify(a, sha, expires, "", now));
  CHECK_FALSE(blobs.verify("..", sha, expires, sig, now));

  // A different secret (another server) does not accept the link.
  BlobStore other(dir.storage(), std::string(32, 't'));
  CHECK_FALSE(other.verify(a, sha, expires, sig, now));
}
