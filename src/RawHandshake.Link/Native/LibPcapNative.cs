using System.Runtime.InteropServices;

namespace RawHandshake.Link.Native;

/// <summary>
/// libpcap exports SharpPcap 6.3.1 does not expose (it calls <c>pcap_get_selectable_fd</c> internally but keeps the
/// descriptor to itself). The library is loaded by the same names, in the same order, as SharpPcap's resolver, so both
/// bind the same <c>libpcap.so</c>.
/// </summary>
internal static unsafe class LibPcapNative
{
    private static readonly string[] LibraryNames = ["libpcap.so", "libpcap.so.0", "libpcap.so.0.8", "libpcap.so.1"];
    private static readonly Lazy<nint> Library = new(Load);

    private static delegate* unmanaged<nint, int> getSelectableFd;
    private static delegate* unmanaged<nint, byte*, nuint, int> inject;
    private static delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint, int> injectNonBlocking;

    /// <summary><c>pcap_inject</c>: the bytes written, or -1 (the reason in <c>pcap_geterr</c>). The caller holds a
    /// reference on the handle for as long as it injects (no add-ref/release per frame).</summary>
    public static int Inject(nint pcap, ReadOnlySpan<byte> frame)
    {
        if (inject == null)
        {
            inject = (delegate* unmanaged<nint, byte*, nuint, int>)NativeLibrary.GetExport(Library.Value, "pcap_inject");
        }

        fixed (byte* p = frame)
        {
            return inject(pcap, p, (nuint)frame.Length);
        }
    }

    /// <summary>
    /// <c>pcap_inject</c> without the runtime's switch to preemptive mode and back around it (<c>SuppressGCTransition</c>):
    /// only for a handle whose socket is non-blocking, so that the call never waits. On Linux <c>pcap_inject</c> is one
    /// <c>send()</c> on the packet socket; with <c>O_NONBLOCK</c> (<c>pcap_setnonblock</c>) a full send buffer makes it
    /// fail with EAGAIN at once instead of sleeping, so a garbage collection waits at most the length of one send (a few
    /// µs; on veth the receiver's softirq runs inside it, bounded by its budget).
    /// </summary>
    public static int InjectNonBlocking(nint pcap, ReadOnlySpan<byte> frame)
    {
        if (injectNonBlocking == null)
        {
            injectNonBlocking = (delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint, int>)NativeLibrary.GetExport(Library.Value, "pcap_inject");
        }

        fixed (byte* p = frame)
        {
            return injectNonBlocking(pcap, p, (nuint)frame.Length);
        }
    }

    /// <summary>The descriptor to <c>poll()</c> for readability of an activated handle, or -1 when there is none.</summary>
    public static int GetSelectableFd(SafeHandle pcap)
    {
        if (getSelectableFd == null)
        {
            getSelectableFd = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(Library.Value, "pcap_get_selectable_fd");
        }

        var added = false;
        try
        {
            pcap.DangerousAddRef(ref added);
            return getSelectableFd(pcap.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                pcap.DangerousRelease();
            }
        }
    }

    private static nint Load()
    {
        foreach (var name in LibraryNames)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                return handle;
            }
        }

        throw new DllNotFoundException($"libpcap (tried {string.Join(", ", LibraryNames)})");
    }
}
