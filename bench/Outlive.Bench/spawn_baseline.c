/*
 * The C floor for Outlive's start call: posix_spawn of /bin/true with exactly Outlive's attributes
 * and file actions (NativeSpawn.cs). Built by the bench runner with gcc -O2.
 *
 *   spawn_baseline calls N            N timed calls, one line each: nanoseconds until posix_spawn
 *                                     returned (attributes built inside the timed region, as Outlive
 *                                     does); each child is reaped with waitpid after its timed call.
 *                                     Two untimed calls first warm this fresh process up (the .NET
 *                                     cases run warm in the long-lived runner).
 *   spawn_baseline throughput T K     T threads, each starting /bin/true and waiting for it K times
 *                                     in a row; prints the wall-clock nanoseconds for all T*K children.
 *   spawn_baseline command N PROG ARG...
 *                                     N runs of a whole command (stdin, stdout, stderr on /dev/null), one
 *                                     line each: nanoseconds from posix_spawn until waitpid returned, as
 *                                     `hyperfine -N` measures; fails if a run does not exit 0.
 *
 * Built with -DSPAWN_BASELINE_LIBRARY -shared it is instead a library whose spawn_baseline_call_ns()
 * does one timed call (and reaps it), so the runner can also time the C call inside its own process.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "spawn_baseline: %s: %s\n", what, strerror(rc));
        exit(1);
    }
}

static pid_t spawn_true(void)
{
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    sigset_t signals;
    char *argv[] = { "/bin/true", NULL };
    pid_t pid;

    check(posix_spawnattr_init(&attr), "posix_spawnattr_init");
    check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
    check(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
          "posix_spawnattr_setflags");
    sigemptyset(&signals);
    check(posix_spawnattr_setsigmask(&attr, &signals), "posix_spawnattr_setsigmask");
    /* Signals 1..64 by hand: glibc's sigaddset/sigfillset refuse its internal signals 32 and 33. */
    memset(&signals, 0xff, sizeof(unsigned long long));
    check(posix_spawnattr_setsigdefault(&attr, &signals), "posix_spawnattr_setsigdefault");
    check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "addopen 0");
    check(posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0), "addopen 1");
    check(posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0), "addopen 2");
    check(posix_spawn_file_actions_addclosefrom_np(&actions, 3), "addclosefrom_np");

    check(posix_spawn(&pid, "/bin/true", &actions, &attr, argv, environ), "posix_spawn");

    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return pid;
}

static void reap(pid_t pid)
{
    if (waitpid(pid, NULL, 0) != pid) {
        perror("spawn_baseline: waitpid");
        exit(1);
    }
}

/* One timed call, the child reaped after it: nanoseconds until posix_spawn returned. */
long long spawn_baseline_call_ns(void)
{
    long long start = now_ns();
    pid_t pid = spawn_true();
    long long elapsed = now_ns() - start;
    reap(pid);
    return elapsed;
}

#ifndef SPAWN_BASELINE_LIBRARY
static void *start_and_wait_loop(void *arg)
{
    long count = (long)arg;
    for (long i = 0; i < count; i++)
        reap(spawn_true());
    return NULL;
}

/* One run of argv[0] with its output dropped: nanoseconds until it was reaped; -1 if it did not exit 0. */
static long long time_command(char **command)
{
    posix_spawn_file_actions_t actions;
    pid_t pid;
    int status;

    check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
    check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "addopen 0");
    check(posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0), "addopen 1");
    check(posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0), "addopen 2");
    long long start = now_ns();
    check(posix_spawn(&pid, command[0], &actions, NULL, command, environ), command[0]);
    if (waitpid(pid, &status, 0) != pid) {
        perror("spawn_baseline: waitpid");
        exit(1);
    }
    long long elapsed = now_ns() - start;
    posix_spawn_file_actions_destroy(&actions);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? elapsed : -1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "calls") == 0) {
        long calls = atol(argv[2]);
        for (int i = 0; i < 2; i++)
            reap(spawn_true());
        for (long i = 0; i < calls; i++)
            printf("%lld\n", spawn_baseline_call_ns());
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "throughput") == 0) {
        int threads = atoi(argv[2]);
        long per_thread = atol(argv[3]);
        pthread_t ids[64];
        if (threads < 1 || threads > 64)
            return 2;
        long long start = now_ns();
        for (int t = 0; t < threads; t++)
            check(pthread_create(&ids[t], NULL, start_and_wait_loop, (void *)per_thread), "pthread_create");
        for (int t = 0; t < threads; t++)
            pthread_join(ids[t], NULL);
        printf("%lld\n", now_ns() - start);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "command") == 0) {
        long runs = atol(argv[2]);
        for (long i = 0; i < runs; i++) {
            long long elapsed = time_command(argv + 3);
            if (elapsed < 0) {
                fprintf(stderr, "spawn_baseline: %s did not exit 0\n", argv[3]);
                return 1;
            }
            printf("%lld\n", elapsed);
        }
        return 0;
    }
    fprintf(stderr, "usage: spawn_baseline calls N | throughput THREADS PER_THREAD | command N PROGRAM [ARG...]\n");
    return 2;
}
#endif
