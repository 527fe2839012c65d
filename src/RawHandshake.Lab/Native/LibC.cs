using System.Runtime.InteropServices;

namespace RawHandshake.Lab.Native;

/// <summary>The few libc calls the lab needs.</summary>
internal static partial class LibC
{
    public const int CloneNewNet = 0x40000000;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int ESrch = 3;

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nstype);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial IntPtr StrErrorPtr(int errnum);

    public static string StrError(int errno) => Marshal.PtrToStringUTF8(StrErrorPtr(errno)) ?? $"errno {errno}";
}
