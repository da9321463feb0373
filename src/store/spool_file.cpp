#include "cadenza/store/spool_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"

namespace cadenza::store {

SpoolFile::SpoolFile(const std::filesystem::path& dir)
    : path_(dir / (std::string(kPrefix) + crypto::random_hex(12))) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) throw Error(ErrorKind::Internal, "cannot create " + path_.string() + ": " + std::strerror(errno));
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(path_.c_str());
}

void SpoolFile::write(std::string_view bytes) {
  if (finished_) throw Error(ErrorKind::Internal, "write after finish: " + path_.string());
  hash_.update(bytes);
  const char* data = bytes.data();
  std::size_t n = bytes.size();
  while (n > 0) {
    auto w = ::write(fd_, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw Error(ErrorKind::Internal, "write to " + path_.string() + " failed: " + std::strerror(errno));
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  size_ += bytes.size();
}

std::string SpoolFile::finish() {
  if (finished_) throw Error(ErrorKind::Internal, "finished twice: " + path_.string());
  finished_ = true;
  const bool synced = ::fsync(fd_) == 0;
  const bool closed = ::close(fd_) == 0;
  fd_ = -1;
  if (!synced || !closed) throw Error(ErrorKind::Internal, "cannot flush " + path_.string() + ": " + std::strerror(errno));
  return hash_.hex_digest();
}

void SpoolFile::commit(const std::filesystem::path& dest) {
  if (!finished_ || committed_) throw Error(ErrorKind::Internal, "commit before finish: " + path_.string());
  std::filesystem::rename(path_, dest);
  committed_ = true;
}

}  // namespace cadenza::store
