#include "cadenza/core/subprocess.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "cadenza/core/error.hpp"

namespace cadenza {

int run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty()) throw Error{ErrorKind::Internal, "run_process: no program"};
  const std::string name = options.name.empty() ? argv[0] : options.name;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string out = options.output.empty() ? "/dev/null" : options.output.string();
  const pid_t pid = fork();
  if (pid < 0) throw Error{ErrorKind::Internal, "cannot start " + name + " (fork failed)"};
  if (pid == 0) {
    setpgid(0, 0);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, 0);
    for (const auto& [k, v] : options.env) setenv(k.c_str(), v.c_str(), 1);
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);
  // Whatever ends the wait early (the time-out, an exception from poll) kills the process group and reaps it.
  struct Child {
    pid_t pid;
    bool reaped = false;
    ~Child() {
      if (reaped) return;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } child{pid};
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  int status = 0;
  while (!child.reaped) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      child.reaped = true;
    } else if (r < 0) {
      child.reaped = true;  // nothing left to kill
      throw Error{ErrorKind::Internal, "lost the " + name + " process"};
    } else if (std::chrono::steady_clock::now() > deadline) {
      throw Error{ErrorKind::Internal, fmt::format("{} did not finish within {} s", name, options.timeout.count())};
    } else {
      if (options.poll) options.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

std::filesystem::path find_program(const std::string& program) {
  if (program.empty()) return {};
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? std::filesystem::path(program) : std::filesystem::path{};
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  for (std::size_t i = 0; i <= dirs.size();) {
    const auto j = std::min(dirs.find(':', i), dirs.size());
    const auto dir = dirs.substr(i, j - i);
    i = j + 1;
    if (dir.empty()) continue;
    const auto candidate = std::filesystem::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::string file_tail(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

}  // namespace cadenza
