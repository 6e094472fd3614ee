/*
 * outlive's gate: what a held child runs until it is released (see HeldProcess.cs).
 *
 *   gate FD PATH ARGV0 [ARGS...]
 *
 * Reads from fd FD. On "go\n" it closes FD and FD+1 (the gate's own image) and execve(PATH, [ARGV0, ARGS...],
 * its environment) -- so argv, argv[0] included, and every environment entry reach the program byte for byte.
 * On anything else (EOF: the parent died or gave up) it exits 125 and the program never runs. A failed execve
 * exits 127 (no such file) or 126, like a shell. No libc, no signal or mask changes: what posix_spawn set up
 * for the gate is what the program gets.
 *
 * Built by scripts/build-gate into GateImage.cs; a test rebuilds it and compares.
 */
#if defined(__x86_64__)
#define SYS_READ 0
#define SYS_CLOSE 3
#define SYS_EXECVE 59
#define SYS_EXIT 231
__asm__(".globl _start\n_start:\n xor %ebp, %ebp\n mov %rsp, %rdi\n and $-16, %rsp\n call gate_main\n hlt\n");

static long sys3(long n, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
#define SYS_READ 63
#define SYS_CLOSE 57
#define SYS_EXECVE 221
#define SYS_EXIT 94
__asm__(".globl _start\n_start:\n mov x29, #0\n mov x0, sp\n bl gate_main\n");

static long sys3(long n, long a, long b, long c)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
#else
#error "the gate is built for x86_64 and aarch64"
#endif

#define ENOENT 2
#define EINTR 4

static void leave(int code)
{
    for (;;)
        sys3(SYS_EXIT, code, 0, 0);
}

__attribute__((used)) void gate_main(long *stack)
{
    long argc = stack[0];
    char **argv = (char **)(stack + 1);
    char **envp = argv + argc + 1;
    if (argc < 4)
        leave(125);

    long fd = 0;
    for (const char *digit = argv[1]; *digit; digit++)
    {
        if (*digit < '0' || *digit > '9')
            leave(125);
        fd = fd * 10 + (*digit - '0');
    }

    char word[4];
    long got = 0;
    while (got < 3)
    {
        long n = sys3(SYS_READ, fd, (long)(word + got), 3 - got);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            leave(125);
        got += n;
    }
    if (word[0] != 'g' || word[1] != 'o' || word[2] != '\n')
        leave(125);
    sys3(SYS_CLOSE, fd, 0, 0);
    sys3(SYS_CLOSE, fd + 1, 0, 0);

    long error = sys3(SYS_EXECVE, (long)argv[2], (long)(argv + 3), (long)envp);
    leave(error == -ENOENT ? 127 : 126);
}
