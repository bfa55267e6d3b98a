#ifndef COREGATE_CSPAWN_H
#define COREGATE_CSPAWN_H

#include <sys/types.h>

/// A started handler: its pid (also its process group id), a pidfd that becomes readable when it
/// exits (-1 on kernels without pidfd_open), and the parent's ends of its stdin, stdout and stderr
/// pipes, all close-on-exec and non-blocking.
typedef struct {
    pid_t pid;
    int pidfd;
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
} coregate_child;

/// How a handler's process is set up before it execs, beyond what posix_spawn can do: a tenant's
/// user and group, and a lower CPU priority.
typedef struct {
    /// When `change_ids`, the user and group it runs as (a tenant's ids), with no supplementary
    /// groups and no capabilities; otherwise it keeps the service's.
    int change_ids;
    uid_t uid;
    gid_t gid;
    /// When `lower_priority`, the nice value it runs at, set before the exec, so that the exec and
    /// the program's start-up already run at it (most of a short handler's CPU), and before the
    /// ids change: once the handler is another user's process, the service may no longer change
    /// its priority.
    int lower_priority;
    int nice;
} coregate_identity;

/// Starts `path` with `argv` and `envp` (NULL-terminated) in `cwd`, as the leader of a new process
/// group, with every signal reset to its default and none blocked, and only fds 0, 1 and 2 open.
/// `identity` NULL: as the calling process's user, at its priority; otherwise as it says (to change
/// ids, the caller needs CAP_SETUID and CAP_SETGID).
///
/// Safe to call from many threads at once: the spawn (clone with CLONE_VM|CLONE_VFORK) blocks
/// only the calling thread until the child has exec'd.
///
/// Returns 0, or the errno of the step that failed (nothing is left open or running then).
int coregate_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   const coregate_identity *identity, coregate_child *child);

/// A new non-blocking, close-on-exec eventfd, or -1 with errno set: another thread writes to it
/// to interrupt a supervisor's poll.
int coregate_eventfd(void);

#endif
