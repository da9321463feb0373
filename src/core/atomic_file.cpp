#include "cadenza/core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"

namespace cadenza {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, int err) {
  throw Error{ErrorKind::Internal, "cannot write " + path.string() + ": " + std::strerror(err)};
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  // A random name in the same directory (rename only replaces atomically within one file system), created
  // with O_EXCL and mode 0666 so that the umask applies as it does to any new file.
  const auto tmp = path.parent_path() / ("." + path.filename().string() + "." + new_uuid() + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) fail(path, errno);
  int err = 0;
  for (std::size_t done = 0; done < bytes.size() && err == 0;) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n >= 0) done += std::size_t(n);
    else if (errno != EINTR) err = errno;
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    fail(path, err);
  }
  // The rename itself is durable once the directory is synced; a failure here loses nothing already written.
  const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace cadenza
