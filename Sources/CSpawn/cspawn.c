#define _GNU_SOURCE
#include "cspawn.h"
#include "cspawn_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static void close_pair(int pair[2]) {
    if (pair[0] >= 0) close(pair[0]);
    if (pair[1] >= 0) close(pair[1]);
}

// The common case, the caller's own user: glibc's posix_spawn, which needs no ids changed.
static int spawn_as_caller(const char *path, char *const argv[], char *const envp[], const char *cwd,
                           int stdin_fd, int stdout_fd, int stderr_fd, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    // dup2 clears close-on-exec on the copies; closefrom drops anything else inherited.
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (cwd != NULL) posix_spawn_file_actions_addchdir_np(&actions, cwd);

    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    int error = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return error;
}

int coregate_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   const coregate_identity *identity, coregate_child *child) {
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    int error = 0;
    // O_CLOEXEC from the start: another thread may spawn at the same moment, and its child must
    // not inherit this handler's pipes (it would hold them open past this handler's exit).
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        error = errno;
        close_pair(in);
        close_pair(out);
        close_pair(err);
        return error;
    }

    pid_t pid = 0;
    error = identity != NULL ? coregate_launch_as(path, argv, envp, cwd, identity, in[0], out[1], err[1], &pid)
                             : spawn_as_caller(path, argv, envp, cwd, in[0], out[1], err[1], &pid);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (error != 0) {
        close(in[1]);
        close(out[0]);
        close(err[0]);
        return error;
    }

    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    child->pid = pid;
    // Safe from pid reuse: the child is not reaped until its supervisor has seen it exit.
    child->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    child->stdin_fd = in[1];
    child->stdout_fd = out[0];
    child->stderr_fd = err[0];
    return 0;
}

int coregate_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}
