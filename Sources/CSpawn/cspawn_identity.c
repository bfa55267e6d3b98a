#define _GNU_SOURCE
#include "cspawn_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

// The child borrows the parent's memory until it execs (CLONE_VM | CLONE_VFORK), so it may only
// make system calls: no malloc, no locks, nothing that touches state the parent's other threads
// share. It reports a failure through `error`, which the parent reads once it resumes.
struct launch {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int change_ids;
    uid_t uid;
    gid_t gid;
    int lower_priority, nice;
    int stdin_fd, stdout_fd, stderr_fd;
    volatile int error;
};

// dup2 onto itself would leave close-on-exec set; the pipes are made with it.
static int move_fd(int from, int to) {
    if (from == to) return (int)syscall(SYS_fcntl, from, F_SETFD, 0);
    return (int)syscall(SYS_dup3, from, to, 0);
}

static int child_main(void *argument) {
    struct launch *launch = argument;
    // Every handler the parent installed would run here, on the parent's memory, if a signal came
    // before exec; all signals stay blocked until then, and each goes back to its default (a
    // signal the service ignores, such as SIGPIPE, would otherwise stay ignored in the handler).
    // The kernel's own struct and call: glibc's sigaction leaves its internal signals (32, 33) alone.
    struct {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
    } defaults = {.handler = SIG_DFL};
    for (int signal = 1; signal < _NSIG; signal++) syscall(SYS_rt_sigaction, signal, &defaults, NULL, sizeof defaults.mask);

    if (syscall(SYS_setpgid, 0, 0) != 0 || move_fd(launch->stdin_fd, 0) < 0 || move_fd(launch->stdout_fd, 1) < 0 ||
        move_fd(launch->stderr_fd, 2) < 0 || syscall(SYS_close_range, 3, ~0U, 0) != 0)
        goto failed;

    // Best effort, as for the service's own user: a seccomp filter may refuse it.
    if (launch->lower_priority) syscall(SYS_setpriority, PRIO_PROCESS, 0, launch->nice);
    if (launch->change_ids) {
        // Raw system calls, not glibc's setgroups/setresgid/setresuid: those change the ids of every
        // thread of the process (through a signal to each), and here that process is the parent.
        if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, launch->gid, launch->gid, launch->gid) != 0 ||
            syscall(SYS_setresuid, launch->uid, launch->uid, launch->uid) != 0)
            goto failed;
        // A change between two ids other than 0 keeps the capabilities the service was given
        // (CAP_SETUID, …), and the ambient ones would pass through exec: drop every one of them.
        struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {{0}};
        if (syscall(SYS_capset, &header, none) != 0) goto failed;
    }
    // Only now: a tenant's folder is closed to the service's own uid.
    if (launch->cwd != NULL && syscall(SYS_chdir, launch->cwd) != 0) goto failed;

    sigset_t unblocked;
    sigemptyset(&unblocked);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &unblocked, NULL, _NSIG / 8);
    syscall(SYS_execve, launch->path, launch->argv, launch->envp);
failed:
    launch->error = errno;
    syscall(SYS_exit, 127);
    return 127;
}

int coregate_launch_as(const char *path, char *const argv[], char *const envp[], const char *cwd,
                       const coregate_identity *identity, int stdin_fd, int stdout_fd, int stderr_fd,
                       pid_t *pid) {
    // The child runs on a stack of its own; the parent's thread is suspended until it execs.
    const size_t stack_size = 64 << 10;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return errno;

    struct launch launch = {
        .path = path, .argv = argv, .envp = envp, .cwd = cwd, .change_ids = identity->change_ids,
        .uid = identity->uid, .gid = identity->gid,
        .lower_priority = identity->lower_priority, .nice = identity->nice,
        .stdin_fd = stdin_fd, .stdout_fd = stdout_fd, .stderr_fd = stderr_fd, .error = 0,
    };
    // Blocks glibc's own signals too (sigfillset leaves them out), as its posix_spawn does.
    sigset_t all, previous;
    memset(&all, 0xff, sizeof all);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &previous, _NSIG / 8);
    int child = clone(child_main, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &launch);
    int error = child < 0 ? errno : launch.error;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &previous, NULL, _NSIG / 8);
    munmap(stack, stack_size);

    if (child < 0) return error;
    if (error != 0) {
        // It never ran the program: reap it here, as nobody else knows of it.
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return error;
    }
    *pid = child;
    return 0;
}
