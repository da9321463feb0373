// core's write_file_atomically, through which every pipeline output goes (here, next to its users, while
// tests/core is not this change's to edit).
#include "cadenza/core/atomic_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "cadenza/core/error.hpp"
#include "pipeline/pipeline_fixture.hpp"

using namespace cadenza;
using namespace pipeline_test;

TEST_CASE("write_file_atomically creates and replaces a file whole, with ordinary modes, and leaves nothing else") {
  TempDir dir;
  const auto file = dir.path() / "score.mid";
  const mode_t old_mask = ::umask(027);
  write_file_atomically(file, std::string_view("first"));
  ::umask(old_mask);
  CHECK(read_file(file) == "first");
  CHECK((fs::status(file).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write |
                                                               fs::perms::group_read));
  write_file_atomically(file, std::vector<uint8_t>{'s', 'e', 'c', 'o', 'n', 'd', 0});
  CHECK(read_file(file) == std::string("second\0", 7));
  write_file_atomically(file, std::string_view());
  CHECK(fs::file_size(file) == 0);
  CHECK(listing(dir.path()) == std::vector<std::string>{"score.mid"});
}

TEST_CASE("a write that fails names the file, keeps what was there and leaves no temporary file") {
  TempDir dir;
  fs::create_directories(dir.path() / "score.pdf" / "inside");  // a directory where the file should go
  try {
    write_file_atomically(dir.path() / "score.pdf", std::string_view("%PDF-"));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Internal);
    CHECK(std::string(e.what()).find((dir.path() / "score.pdf").string()) != std::string::npos);
  }
  CHECK(fs::is_directory(dir.path() / "score.pdf" / "inside"));
  CHECK(listing(dir.path()) == std::vector<std::string>{"score.pdf"});
  CHECK_THROWS_AS(write_file_atomically(dir.path() / "no" / "such" / "dir.txt", std::string_view("x")), Error);
}
