using System.Runtime.InteropServices;

namespace RawHandshake.Link.Tests;

/// <summary>
/// Drops capabilities from the calling thread's effective set with capset(2). Capabilities are per thread and glibc does
/// not broadcast capset, so only this thread loses them: use it on a dedicated thread (e.g. inside <c>NetNs.Run</c>),
/// which ends afterwards.
/// </summary>
internal static unsafe partial class Caps
{
    private const uint Version3 = 0x20080522;

    public static void DropEffective(params int[] caps)
    {
        var header = new Header { Version = Version3, Pid = 0 };
        var data = stackalloc Data[2];
        if (CapGet(&header, data) != 0)
        {
            throw new InvalidOperationException($"capget failed: errno {Marshal.GetLastPInvokeError()}");
        }

        foreach (var cap in caps)
        {
            data[cap / 32].Effective &= ~(1u << (cap % 32));
        }

        if (CapSet(&header, data) != 0)
        {
            throw new InvalidOperationException($"capset failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Header
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Data
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static partial int CapGet(Header* header, Data* data);

    [LibraryImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static partial int CapSet(Header* header, Data* data);
}
