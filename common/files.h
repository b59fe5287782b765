// Files, the one way: read a whole file, write one atomically (or as scratch), make and
// remove folders.
// errno is turned into a message once, here.
#ifndef HEAPSTORM_COMMON_FILES_H_
#define HEAPSTORM_COMMON_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace heapstorm {

// The whole file. NotFound (with the path and strerror) when it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Appends to `*out` what `fd` gives until EOF (retrying EINTR). On a read error returns
// errno (what was read before it stays in `*out`); 0 at EOF.
int ReadToEnd(int fd, std::string* out);

// Writes `data` to a temporary file beside `path`, syncs it and renames it over `path`,
// so a reader never sees half a file. NotFound when no folder holds `path` (what a person
// gave is wrong), else Internal with the reason on failure.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view data);

// Writes `data` to `path` with no sync and no rename: for scratch files in a private
// folder that a child reads and nobody keeps (a crash loses nothing worth having).
// Internal with the reason on failure.
absl::Status WriteScratchFile(const std::string& path, absl::string_view data);

// Writes `data` to a pipe (or socket) whose reader may be gone, without dying of SIGPIPE
// and without changing the process's signal dispositions: SIGPIPE is blocked in the
// calling thread for the write, and the one the write raised is taken back. Unavailable
// when the reader is gone (EPIPE), Internal for other errors. For a library such as the
// engine, which cannot assume its host ignores SIGPIPE.
absl::Status WriteToPipe(int fd, absl::string_view data);

// Creates `dir` and its parents. Internal on failure.
absl::Status MakeDirs(const std::string& dir);

// Removes `dir` and everything below it. Best effort. Never follows a symbolic link: a
// link inside is removed as a link, and a `dir` that is itself a link is only unlinked,
// so a planted link cannot turn a cleanup against files elsewhere. Each level is opened
// relative to its parent's descriptor (openat/unlinkat with O_NOFOLLOW), so no path is
// resolved twice.
void RemoveTree(const std::string& dir);

// Marks the scratch folder `dir` as in use for as long as the returned descriptor stays
// open (an exclusive flock on the folder, which the kernel drops when its holder dies, even
// by SIGKILL). -1 if the folder cannot be opened. Close it after removing the folder.
int LockScratchDir(const std::string& dir);

// Removes the scratch folders `scratch/PREFIXPID-*` left by processes that died without
// cleaning up (SIGKILL): only real folders (not links), owned by this user, that no live
// process holds (LockScratchDir). A PID is no proof of death: a process in another PID
// namespace (Bazel's sandbox, a container) sees other PIDs as gone, so the lock decides.
// Anything else with that name — another user's folder, a link planted to look like one —
// is left alone. Best effort; returns how many were removed.
int RemoveStaleScratchDirs(const std::string& scratch, const std::string& prefix);

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_FILES_H_
