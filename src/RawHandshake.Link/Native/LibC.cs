using System.Runtime.InteropServices;

namespace RawHandshake.Link.Native;

/// <summary>The few libc calls the link needs (Linux, glibc); errno comes back through <see cref="Marshal.GetLastPInvokeError"/>.</summary>
internal static unsafe partial class LibC
{
    public const int ORdOnly = 0;
    public const int OCloExec = 0x80000;
    public const int CloneNewNet = 0x40000000;

    public const short PollIn = 0x001;
    public const short PollErr = 0x008;
    public const short PollHup = 0x010;
    public const short PollNval = 0x020;

    public const int EPerm = 1;
    public const int ENoEnt = 2;
    public const int EIntr = 4;
    public const int EInval = 22;

    public const int FGetFl = 3;
    public const int ONonBlock = 0x800;
    public const int SolSocket = 1;
    public const int SoType = 3;
    public const int SoTimestampNs = 35; // SO_TIMESTAMPNS_OLD: what libpcap sets for nanosecond stamps

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nstype);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    /// <summary><c>fcntl(fd, cmd)</c> for the commands without an argument (<c>F_GETFL</c>).</summary>
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, int* value, uint* length);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, void* address, uint* length);

    public const int ClockProcessCpuTime = 2;
    public const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    public static partial int ClockGetTime(int clock, TimeSpec* time);

    public static string StrError(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
