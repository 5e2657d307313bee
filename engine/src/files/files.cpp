#include "poet/engine/files/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "poet/engine/error.h"

namespace poet {
namespace fs = std::filesystem;
namespace {

// "a directory", "a character device", ...: what a path that is not a regular file is.
std::string_view kind(fs::file_type type) {
  switch (type) {
    case fs::file_type::directory: return "a directory";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    default: return "not a regular file";
  }
}

}  // namespace

void check_readable(const fs::path& path, std::string_view what) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    throw Error::file(fmt::format("cannot read {} '{}': {}", what, path.string(),
                                  error ? error.message() : "No such file or directory"));
  }
  if (!fs::is_regular_file(status)) {
    throw Error::file(
        fmt::format("cannot read {} '{}': it is {}", what, path.string(), kind(status.type())));
  }
}

void check_writable(const fs::path& path, std::string_view what, const std::vector<fs::path>& inputs) {
  const auto refuse = [&](std::string_view why) {
    return Error::file(fmt::format("will not write {} '{}': {}", what, path.string(), why));
  };
  if (path.empty() || path.filename().empty()) throw refuse("it names no file");
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (fs::exists(status)) {
    if (!fs::is_regular_file(status)) throw refuse(fmt::format("it is {}", kind(status.type())));
    for (const auto& input : inputs) {
      if (fs::equivalent(path, input, error)) throw refuse("it is a file this command reads");
    }
    return;
  }
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, error)) throw refuse(fmt::format("there is no folder '{}'", folder.string()));
}

AtomicFile::AtomicFile(fs::path path, std::string_view what, const std::vector<fs::path>& inputs)
    : path_(std::move(path)), temporary_(path_.string() + ".tmp"), what_(what) {
  check_writable(path_, what, inputs);
  // One fixed name: a write cut short by a crash leaves at most one, which the next one reuses.
  // O_NOFOLLOW: a link planted at the temporary's name cannot redirect the write.
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) fail(errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temporary_.c_str());
  }
}

void AtomicFile::write(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0 && error_ == 0) {
    const ssize_t n = ::write(fd_, bytes, size);
    if (n < 0) {
      if (errno != EINTR) error_ = errno;
      continue;
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  if (error_ == 0 && ::fsync(fd_) != 0) error_ = errno;
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0 && error_ == 0) error_ = errno;
  if (error_ == 0 && ::rename(temporary_.c_str(), path_.c_str()) != 0) error_ = errno;
  if (error_ != 0) fail(error_);
  // Make the rename itself durable.
  const fs::path folder = path_.has_parent_path() ? path_.parent_path() : fs::path(".");
  if (const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void AtomicFile::fail(int error) {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  ::unlink(temporary_.c_str());
  throw Error::file(
      fmt::format("cannot write {} '{}': {}", what_, path_.string(), std::strerror(error)));
}

WriterLock::WriterLock(const fs::path& path, std::string_view writer) {
  const fs::path lock = fs::path(path).concat(".lock");
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  // A folder that is missing or cannot be written: the writer's own check says so, by name.
  if (fd_ < 0) return;
  // A record lock, not flock(): the kernel names the process that holds it, so the file is never
  // written (a full disk cannot fail it) and says nothing stale after a crash.
  flock whole{};
  whole.l_type = F_WRLCK;
  whole.l_whence = SEEK_SET;
  if (::fcntl(fd_, F_SETLK, &whole) == 0) return;
  // Only "held by another": a file system without locks (NFS without lockd) locks nothing.
  if (errno != EACCES && errno != EAGAIN) return;
  flock holder = whole;
  const bool known =
      ::fcntl(fd_, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK && holder.l_pid > 0;
  ::close(fd_);
  fd_ = -1;
  throw Error::input(fmt::format(
      "'{}' is being written by another {} ({}): give this one another --out, or stop that one",
      path.string(), writer,
      known ? fmt::format("process {}", holder.l_pid) : std::string("another process")));
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // lets go of the lock
}

}  // namespace poet
