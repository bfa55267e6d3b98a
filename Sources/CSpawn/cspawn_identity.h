#ifndef COREGATE_CSPAWN_IDENTITY_H
#define COREGATE_CSPAWN_IDENTITY_H

#include "cspawn.h"

/// Starts `path` as coregate_spawn does, but as `identity` says: its nice value, then (with
/// `change_ids`) no supplementary groups, the gid, the uid, and no capabilities left. posix_spawn
/// can do neither before the exec, so this clones and execs itself.
/// The child's ends of its pipes are `stdin_fd`, `stdout_fd` and `stderr_fd` (close-on-exec);
/// every other descriptor is closed. Returns 0 and the pid, or the errno of the step that failed
/// (the child is reaped then).
int coregate_launch_as(const char *path, char *const argv[], char *const envp[], const char *cwd,
                       const coregate_identity *identity, int stdin_fd, int stdout_fd, int stderr_fd,
                       pid_t *pid);

#endif
