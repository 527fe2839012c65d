namespace RawHandshake.Engine.Bench;

/// <summary>The C reference programs the benches compile with gcc when they run (<see cref="Link.CTools"/>).</summary>
internal static class BenchPrograms
{
    /// <summary><c>inject IFACE N HEX</c>: one prebuilt frame, <c>pcap_inject</c> N times from one thread, on a handle
    /// opened like ours; prints "sent refused seconds".</summary>
    public const string Inject = """
        #include <pcap/pcap.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <time.h>

        int main(int argc, char **argv) {
            if (argc != 4) { fprintf(stderr, "usage: inject IFACE N HEX\n"); return 2; }
            char err[PCAP_ERRBUF_SIZE];
            pcap_t *p = pcap_open_live(argv[1], 2048, 0, 1, err);
            if (!p) { fprintf(stderr, "%s\n", err); return 2; }
            long n = atol(argv[2]);
            size_t len = strlen(argv[3]) / 2;
            unsigned char frame[2048];
            if (len > sizeof frame) return 2;
            for (size_t i = 0; i < len; i++) sscanf(argv[3] + 2 * i, "%2hhx", &frame[i]);
            struct timespec a, b;
            long refused = 0;
            clock_gettime(CLOCK_MONOTONIC, &a);
            for (long i = 0; i < n; i++) {
                if (pcap_inject(p, frame, len) != (int)len) refused++;
            }
            clock_gettime(CLOCK_MONOTONIC, &b);
            printf("%ld %ld %.9f\n", n - refused, refused, (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
            pcap_close(p);
            return 0;
        }
        """;

    /// <summary><c>meter CMD ARGS…</c>: runs the command (its output to /dev/null), waits with <c>wait4</c>; prints
    /// "exit seconds maxrss_kb" (wall time from fork to exit, the child's peak resident set).</summary>
    public const string Meter = """
        #include <fcntl.h>
        #include <stdio.h>
        #include <sys/resource.h>
        #include <sys/wait.h>
        #include <time.h>
        #include <unistd.h>

        int main(int argc, char **argv) {
            if (argc < 2) { fprintf(stderr, "usage: meter CMD ARGS...\n"); return 2; }
            struct timespec a, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            pid_t pid = fork();
            if (pid < 0) { perror("fork"); return 2; }
            if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(null, 2);
                execvp(argv[1], argv + 1);
                _exit(127);
            }
            int status;
            struct rusage ru;
            if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 2; }
            clock_gettime(CLOCK_MONOTONIC, &b);
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            printf("%d %.6f %ld\n", code, (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, ru.ru_maxrss);
            return 0;
        }
        """;
}
