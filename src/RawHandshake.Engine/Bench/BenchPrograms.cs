namespace RawHandshake.Engine.Bench;

/// <summary>The C reference programs the benches compile with gcc when they run (<see cref="Link.CTools"/>).</summary>
internal static class BenchPrograms
{
    /// <summary><c>inject IFACE N HEX IP TCP</c>: one prebuilt frame, <c>pcap_inject</c> N times from one thread, on a handle
    /// opened like ours; with IP and TCP offsets (not -1) the frames vary as ours do: the IPv4 identification and the TCP
    /// source port go up by one per frame, both checksums updated incrementally (RFC 1624), so the kernel gets the same
    /// frames from both. Prints "sent refused seconds cpu_seconds" (wall time and the thread's CPU time of the loop).</summary>
    public const string Inject = """
        #include <pcap/pcap.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <time.h>

        /* RFC 1624: HC' = ~(~HC + ~m + m'), 16-bit one's complement; checksums and fields in network order */
        static void patch16(unsigned char *f, int at, uint16_t value, int sum) {
            uint16_t old = (uint16_t)(f[at] << 8 | f[at + 1]);
            f[at] = value >> 8; f[at + 1] = value & 0xff;
            uint32_t hc = (uint16_t)(f[sum] << 8 | f[sum + 1]);
            uint32_t x = (uint16_t)~hc + (uint16_t)~old + value;
            x = (x & 0xffff) + (x >> 16);
            x = (x & 0xffff) + (x >> 16);
            uint16_t r = (uint16_t)~x;
            f[sum] = r >> 8; f[sum + 1] = r & 0xff;
        }

        int main(int argc, char **argv) {
            if (argc != 6) { fprintf(stderr, "usage: inject IFACE N HEX IP TCP\n"); return 2; }
            char err[PCAP_ERRBUF_SIZE];
            pcap_t *p = pcap_open_live(argv[1], 2048, 0, 1, err);
            if (!p) { fprintf(stderr, "%s\n", err); return 2; }
            long n = atol(argv[2]);
            size_t len = strlen(argv[3]) / 2;
            int ip = atoi(argv[4]), tcp = atoi(argv[5]);
            unsigned char frame[2048];
            if (len > sizeof frame) return 2;
            for (size_t i = 0; i < len; i++) sscanf(argv[3] + 2 * i, "%2hhx", &frame[i]);
            uint16_t id = (uint16_t)(frame[ip + 4] << 8 | frame[ip + 5]);
            uint16_t port = (uint16_t)(frame[tcp] << 8 | frame[tcp + 1]);
            struct timespec a, b, ca, cb;
            long refused = 0;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
            clock_gettime(CLOCK_MONOTONIC, &a);
            for (long i = 0; i < n; i++) {
                if (ip >= 0 && i > 0) {
                    patch16(frame, ip + 4, (uint16_t)(id + i), ip + 10);
                    patch16(frame, tcp, (uint16_t)(port + i), tcp + 16);
                }
                if (pcap_inject(p, frame, len) != (int)len) refused++;
            }
            clock_gettime(CLOCK_MONOTONIC, &b);
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
            printf("%ld %ld %.9f %.9f\n", n - refused, refused, (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9,
                   (cb.tv_sec - ca.tv_sec) + (cb.tv_nsec - ca.tv_nsec) / 1e9);
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
