#include "common/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace heapstorm {

int ReadToEnd(int fd, std::string* out) {
  char buffer[65536];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      out->append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  std::string data;
  int err = ReadToEnd(fd, &data);
  close(fd);
  if (err != 0) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(err)));
  return data;
}

namespace {

// Writes all of `data` to `fd`; errno is left set on failure.
bool WriteAll(int fd, absl::string_view data) {
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    written += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view data) {
  std::string temp = absl::StrCat(path, ".tmp.", getpid());
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
    // The path a person gave names no folder: their input, not the harness (exit 2).
    const size_t slash = path.rfind('/');
    return absl::NotFoundError(absl::StrCat("cannot write ", path, ": there is no folder ",
                                            slash == std::string::npos ? "." : path.substr(0, slash)));
  }
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot write ", temp, ": ", std::strerror(errno)));
  if (!WriteAll(fd, data)) {
    int err = errno;
    close(fd);
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", temp, ": ", std::strerror(err)));
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot flush ", temp, ": ", std::strerror(errno)));
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename ", temp, " to ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::Status WriteScratchFile(const std::string& path, absl::string_view data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  bool ok = WriteAll(fd, data);
  int err = errno;
  if (close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    std::string partial = dir.substr(0, i);
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat("cannot create ", partial, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

namespace {

// Empties the folder open at `fd` (which it takes over) without following any link.
void RemoveContentsAt(int fd) {
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return;
  }
  const int at = dirfd(d);
  while (dirent* e = readdir(d)) {
    absl::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(at, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      int child = openat(at, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child >= 0) RemoveContentsAt(child);
      unlinkat(at, e->d_name, AT_REMOVEDIR);
    } else {
      unlinkat(at, e->d_name, 0);
    }
  }
  closedir(d);
}

// Removes `name` below the folder open at `parent` (or the cwd for AT_FDCWD).
void RemoveTreeAt(int parent, const char* name) {
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    unlinkat(parent, name, 0);  // a link (or a file) goes, never what it points at
    return;
  }
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) RemoveContentsAt(fd);
  unlinkat(parent, name, AT_REMOVEDIR);
}

}  // namespace

void RemoveTree(const std::string& dir) {
  if (dir.empty() || dir == "/") return;
  RemoveTreeAt(AT_FDCWD, dir.c_str());
}

int RemoveStaleScratchDirs(const std::string& scratch, const std::string& prefix) {
  int parent = open(scratch.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent < 0) return 0;
  DIR* d = fdopendir(parent);
  if (d == nullptr) {
    close(parent);
    return 0;
  }
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    absl::string_view rest = e->d_name;
    if (!absl::ConsumePrefix(&rest, prefix)) continue;
    int pid = 0;
    if (!absl::SimpleAtoi(rest.substr(0, rest.find('-')), &pid) || pid <= 0) continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) continue;  // not ours: leave it
    if (kill(pid, 0) == 0 || errno == EPERM) continue;  // that process runs (in our namespace)
    stale.push_back(e->d_name);
  }
  int removed = 0;
  for (const std::string& name : stale) {
    // Held by a live run (maybe in another PID namespace): leave it. Removing it while we
    // hold the lock keeps another cleaner from racing us.
    int fd = openat(dirfd(d), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      RemoveTreeAt(dirfd(d), name.c_str());
      ++removed;
    }
    close(fd);
  }
  closedir(d);
  return removed;
}

absl::Status WriteToPipe(int fd, absl::string_view data) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigset_t pending;
  sigpending(&pending);
  const bool already_pending = sigismember(&pending, SIGPIPE) == 1;
  absl::Status status;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE) {
      status = absl::UnavailableError("the reader of the pipe is gone");
      if (!already_pending) {
        const struct timespec now {};
        while (sigtimedwait(&pipe_only, nullptr, &now) < 0 && errno == EINTR) {
        }
      }
    } else {
      status = absl::InternalError(absl::StrCat("write: ", std::strerror(errno)));
    }
    break;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return status;
}

int LockScratchDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace heapstorm
