#pragma once
// The one place that decides which files poet may read and write, and how it writes them.
// Reading: a regular file only (a directory, device, FIFO or socket is refused by name, before
// anything is read). Writing: a regular file or a new one in an existing folder, never a special
// file and never a file the same command reads; written atomically (a temporary beside it,
// flushed and synced, then renamed over it), so a crash or a full disk leaves the old file whole
// and no temporary behind.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace poet {

// Throws poet::Error ("cannot read checkpoint '/tmp': it is a directory") unless `path` is a
// regular file that exists; `what` names it in the message ("checkpoint", "config", "corpus").
void check_readable(const std::filesystem::path& path, std::string_view what);

// Throws poet::Error unless `path` may be written: see above. `inputs` are the files the same
// command reads, which it must not overwrite (compared as files, so links and other spellings of
// the same path count).
void check_writable(const std::filesystem::path& path, std::string_view what,
                    const std::vector<std::filesystem::path>& inputs = {});

// A file being written atomically. Nothing appears at `path` until commit(); a write error is
// remembered and reported by commit(); destroying it uncommitted removes the temporary.
class AtomicFile {
 public:
  // Checks the path (check_writable) and opens the temporary; throws poet::Error.
  AtomicFile(std::filesystem::path path, std::string_view what,
             const std::vector<std::filesystem::path>& inputs = {});
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // Flushes, syncs and renames over the path; throws poet::Error naming the file and the error
  // ("cannot write checkpoint 'a.ckpt': No space left on device"), leaving no temporary.
  void commit();

 private:
  [[noreturn]] void fail(int error);

  std::filesystem::path path_;
  std::filesystem::path temporary_;
  std::string what_;
  int fd_ = -1;
  int error_ = 0;
};

// One writer at a time for a file written again and again (a training run's checkpoint): a lock
// on PATH.lock, which the kernel lets go however its holder ends, so that a run killed leaves no
// lock behind (the empty file stays). One per process and path: a second in the same process
// would not be refused.
class WriterLock {
 public:
  // Throws Error::input when another process holds it, naming that process: "'m.ckpt' is being
  // written by another training run (process 1234): give this one another --out, or stop that
  // one". Where PATH.lock cannot be made (a missing folder), locks nothing: writing will fail.
  WriterLock(const std::filesystem::path& path, std::string_view writer);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace poet
