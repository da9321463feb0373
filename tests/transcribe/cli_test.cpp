// `cadenza transcribe` end to end: files written, JSON shape, clear errors on bad input.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {
int run(const std::string& args) {
  const std::string cmd = std::string{CADENZA_BINARY} + " transcribe " + args + " >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
}  // namespace

TEST_CASE("cadenza transcribe writes notes.mid and notes.json") {
  const fs::path dir = fs::temp_directory_path() / ("cadenza-cli-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path wav = dir / "tone.flac";
  REQUIRE(std::system(("sox -n -r 44100 -c 2 '" + wav.string() + "' synth 0.8 sine 440 pad 0.5 1 >/dev/null 2>&1").c_str()) == 0);
  REQUIRE(run("'" + wav.string() + "' -o '" + (dir / "out").string() + "' --format midi,json --threads 1") == 0);
  REQUIRE(fs::exists(dir / "out" / "notes.mid"));
  std::ifstream in{dir / "out" / "notes.json"};
  auto j = nlohmann::json::parse(in);
  REQUIRE(j["notes"].is_array());
  REQUIRE(j["notes"].size() >= 1);
  const auto& n = j["notes"][0];
  CHECK(n["pitch"] == 69);
  CHECK(n["start"].get<double>() == doctest::Approx(0.5).epsilon(0.1));
  CHECK(n["end"].get<double>() > n["start"].get<double>());
  CHECK(n["velocity"].get<double>() > 0.0);
  CHECK(n["bends"].is_array());

  CHECK(run("'" + wav.string() + "' -o '" + (dir / "x").string() + "' --format xml") == 2);
  CHECK(run("'" + wav.string() + "' --onset-threshold 3") != 0);
  std::ofstream{dir / "notes.txt"} << "not audio at all, just some text in a file";
  CHECK(run("'" + (dir / "notes.txt").string() + "' -o '" + (dir / "y").string() + "'") == 2);
  CHECK(!fs::exists(dir / "y" / "notes.mid"));
  fs::remove_all(dir);
}
