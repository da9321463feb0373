#pragma once
// Running a helper program (LilyPond, yt-dlp) with a time limit and a way to stop it: in its own process
// group, so that whatever it starts goes with it.
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cadenza {

struct ProcessOptions {
  std::chrono::seconds timeout{60};
  std::filesystem::path output;  // stdout and stderr go here ("" = /dev/null)
  // Called about every 20 ms while it runs; throwing (a cancel) kills the process group, reaps it and
  // rethrows.
  std::function<void()> poll;
  std::string name;  // for messages ("LilyPond"); "" = argv[0]
  // Set in the program's environment (on top of the server's).
  std::vector<std::pair<std::string, std::string>> env;
};

// Where `program` is: itself when it holds a '/' and is executable, else the first executable match on PATH;
// "" when there is none.
std::filesystem::path find_program(const std::string& program);

// Runs argv (argv[0] looked up on PATH) and returns its exit status: 127 when the program was not found, 128 +
// the signal when a signal ended it. Past the timeout the group is killed and Error(Internal, "<name> did
// not finish within N s") thrown. Error(Internal) when it cannot be started.
int run_process(const std::vector<std::string>& argv, const ProcessOptions& options);

// The last max_bytes of a file (a program's output, for an error message).
std::string file_tail(const std::filesystem::path& path, std::size_t max_bytes = 1500);

}  // namespace cadenza
