/* The ceiling for handler executions: a plain C loop that does what the gateway does per delivery,
 * minus everything else. For each execution it makes a stdin pipe and a stdout pipe, posix_spawns
 * the handler in its own process group with a small fixed environment, writes the event on stdin
 * and closes it, reads stdout to EOF, and reaps the child.
 *
 *   spawn_anchor [-s] -j JOBS -n COUNT -i EVENT_FILE -- PROGRAM [ARGS...]
 *
 * JOBS threads each run that loop, so JOBS executions are in flight at once, like a tenant's
 * `concurrency`. With -s the posix_spawn calls themselves are serialized behind one lock (the
 * pipes, writes, reads and waits still overlap): that is how swift-subprocess spawns, on a single
 * worker thread for the whole process, so this variant shows what that design alone costs.
 * Prints one line: "executions=N seconds=S per_second=R failures=F".
 *
 * Built with gcc -O2 at bench time by Benchmarks/handlers.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **program_argv;
static char *event;
static size_t event_len;
static atomic_long remaining;
static atomic_long failures;
static int serialize;
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;

static char *handler_env[] = {
    "PATH=/usr/local/bin:/usr/bin:/bin", "COREGATE_TENANT=bench", "COREGATE_HANDLER=h",
    "COREGATE_EVENT_ID=wamid.anchor", "COREGATE_EVENT_TYPE=message.text", "COREGATE_ATTEMPT=1",
    "CONTENT_TYPE=application/json", NULL};

static int run_once(void) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    if (serialize) pthread_mutex_lock(&spawn_lock);
    int rc = posix_spawn(&pid, program_argv[0], &actions, &attr, program_argv, handler_env);
    if (serialize) pthread_mutex_unlock(&spawn_lock);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        return -1;
    }
    /* The handler may never read: EPIPE is its business (SIGPIPE is ignored). */
    size_t written = 0;
    while (written < event_len) {
        ssize_t n = write(in[1], event + written, event_len - written);
        if (n <= 0) break;
        written += (size_t)n;
    }
    close(in[1]);
    char buf[4096];
    while (read(out[0], buf, sizeof buf) > 0) {
    }
    close(out[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void *worker(void *unused) {
    (void)unused;
    while (atomic_fetch_sub(&remaining, 1) > 0) {
        if (run_once() != 0) atomic_fetch_add(&failures, 1);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int jobs = 1;
    long count = 2000;
    const char *input = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "sj:n:i:")) != -1) {
        switch (opt) {
        case 's': serialize = 1; break;
        case 'j': jobs = atoi(optarg); break;
        case 'n': count = atol(optarg); break;
        case 'i': input = optarg; break;
        default: fprintf(stderr, "usage: %s [-s] -j JOBS -n COUNT -i EVENT_FILE -- PROGRAM [ARGS...]\n", argv[0]); return 2;
        }
    }
    if (optind >= argc || jobs < 1 || count < 1) {
        fprintf(stderr, "usage: %s [-s] -j JOBS -n COUNT -i EVENT_FILE -- PROGRAM [ARGS...]\n", argv[0]);
        return 2;
    }
    program_argv = argv + optind;
    if (input) {
        FILE *f = fopen(input, "rb");
        if (!f) { perror(input); return 2; }
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        event = malloc((size_t)size + 1);
        event_len = fread(event, 1, (size_t)size, f);
        fclose(f);
        event[event_len++] = '\n';
    } else {
        event = strdup("{}\n");
        event_len = 3;
    }
    signal(SIGPIPE, SIG_IGN);
    atomic_store(&remaining, count);

    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
    for (int i = 0; i < jobs; i++) pthread_create(&threads[i], NULL, worker, NULL);
    for (int i = 0; i < jobs; i++) pthread_join(threads[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);

    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("executions=%ld seconds=%.3f per_second=%.1f failures=%ld\n", count, seconds, (double)count / seconds,
           atomic_load(&failures));
    return 0;
}
