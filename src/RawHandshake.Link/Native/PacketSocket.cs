using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawHandshake.Link.Native;

/// <summary>
/// The send half of libpcap's own packet socket, called without libpcap and glibc in between. On Linux,
/// <c>pcap_inject</c> on an Ethernet handle is two indirect calls around <c>send(fd, frame, length, 0)</c>
/// (<c>pcap_inject_linux</c>), and glibc's <c>send</c> is a cancellation point: in a multithreaded process it marks the
/// thread cancellable and back around the system call. <see cref="Send"/> makes the same system call
/// (<c>sendto(fd, frame, length, MSG_DONTWAIT, NULL, 0)</c>) through libc's <c>syscall()</c>, which is no cancellation
/// point, and never blocks, so the runtime's GC transition can be left out too; <see cref="SendBatch"/> hands the kernel
/// many frames in one <c>sendmmsg</c>, which runs each through the same socket send, in order. libpcap still opens,
/// binds, filters and reads the socket. Used only on a socket <see cref="Probe"/> recognised as what
/// <c>pcap_inject</c> writes to: an <c>AF_PACKET</c>/<c>SOCK_RAW</c> socket bound to one Ethernet or loopback interface
/// (not <c>any</c>, not cooked), in a 64-bit process on x86-64 or arm64.
/// </summary>
internal static unsafe class PacketSocket
{
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const int ArphrdEther = 1;
    private const int ArphrdLoopback = 772;
    private const int MsgDontWait = 0x40;

    /// <summary>The most frames one <see cref="SendBatch"/> system call takes (<c>sendmmsg</c>'s vector).</summary>
    public const int MaxBatch = 64;

    /// <summary><c>SYS_sendto</c> and <c>SYS_sendmmsg</c> of this architecture, or 0 where the numbers are not known here.</summary>
    private static readonly (nint SendTo, nint SendMmsg) Numbers = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => (44, 307),
        Architecture.Arm64 => (206, 269),
        _ => (0, 0),
    };

    private static readonly delegate* unmanaged[SuppressGCTransition]<nint, nint, nint, nint, nint, nint, nint, nint> Syscall =
        (delegate* unmanaged[SuppressGCTransition]<nint, nint, nint, nint, nint, nint, nint, nint>)Resolve();

    private static readonly delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, nint> SyscallMayWait =
        (delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, nint>)Resolve();

    [StructLayout(LayoutKind.Sequential)]
    private struct SockAddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLength;
        public fixed byte Address[8];
    }

    /// <summary>Whether <paramref name="fd"/> is a raw packet socket bound to one Ethernet or loopback interface, so that
    /// <see cref="Send"/> on it does what <c>pcap_inject</c> does.</summary>
    public static bool Probe(int fd)
    {
        if (Numbers.SendTo == 0 || Syscall == null || fd < 0 || nint.Size != 8)
        {
            return false;
        }

        var type = 0;
        var length = (uint)sizeof(int);
        if (LibC.GetSockOpt(fd, LibC.SolSocket, LibC.SoType, &type, &length) != 0 || type != SockRaw)
        {
            return false;
        }

        SockAddrLl address;
        var size = (uint)sizeof(SockAddrLl);
        return LibC.GetSockName(fd, &address, &size) == 0 && size >= 12 && address.Family == AfPacket && address.IfIndex > 0
            && address.HaType is ArphrdEther or ArphrdLoopback;
    }

    /// <summary>Sends one frame; true when the kernel took all of it. False when it did not (a full socket buffer, a
    /// frame longer than the interface's MTU, the interface gone): the caller counts it, and learns the reason, if it
    /// needs one, from a send through libpcap.</summary>
    public static bool Send(int fd, ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            return Syscall(Numbers.SendTo, fd, (nint)p, frame.Length, MsgDontWait, 0, 0) == frame.Length;
        }
    }

    /// <summary>The vectors of one <see cref="SendBatch"/> call: <see cref="MaxBatch"/> <c>struct mmsghdr</c> (64 bytes
    /// each on a 64-bit Linux) followed by as many <c>struct iovec</c>, each header pointing at its own vector; on the
    /// pinned object heap, so their addresses hold for their lifetime and the collector frees them.</summary>
    public static byte[] AllocateVectors()
    {
        var vectors = GC.AllocateArray<byte>(MaxBatch * (MessageSize + IoVecSize), pinned: true);
        var memory = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(vectors));
        var iovecs = memory + (MaxBatch * MessageSize);
        for (var i = 0; i < MaxBatch; i++)
        {
            var message = memory + (i * MessageSize);
            *(nint*)(message + IovOffset) = (nint)(iovecs + (i * IoVecSize));
            *(nint*)(message + IovLengthOffset) = 1;
        }

        return vectors;
    }

    /// <summary>
    /// Sends the frames laid end to end in <paramref name="frames"/> (<paramref name="frameLength"/> bytes each, at most
    /// <see cref="MaxBatch"/>) in one <c>sendmmsg(fd, vectors, n, MSG_DONTWAIT)</c>: the kernel runs each through the
    /// packet socket's send as <see cref="Send"/> would, in order, and stops at the first it refuses. Returns how many it
    /// took before that one; the refusal's reason is dropped, as <c>sendmmsg</c> drops it, and the socket keeps no pending
    /// error (so one libpcap reads there, such as the interface going down, stays for it). A batch takes tens of µs (the
    /// receivers' work on veth runs inside it), so this call keeps the runtime's GC transition.
    /// </summary>
    public static int SendBatch(int fd, byte[] vectors, ReadOnlySpan<byte> frames, int frameLength)
    {
        var count = frames.Length / frameLength;
        if (count is 0 or > MaxBatch || frames.Length % frameLength != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(frames), $"1 to {MaxBatch} whole frames of {frameLength} bytes, not {frames.Length} bytes");
        }

        var memory = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(vectors)); // pinned
        var iovecs = memory + (MaxBatch * MessageSize);
        fixed (byte* p = frames)
        {
            for (var i = 0; i < count; i++)
            {
                var iov = iovecs + (i * IoVecSize);
                *(nint*)iov = (nint)(p + (i * frameLength));
                *(nint*)(iov + 8) = frameLength;
            }

            var sent = (int)SyscallMayWait(Numbers.SendMmsg, fd, (nint)memory, count, MsgDontWait, 0, 0);
            return sent < 0 ? 0 : sent;
        }
    }

    private const int MessageSize = 64; // struct mmsghdr: struct msghdr (56) + unsigned msg_len + padding
    private const int IovOffset = 16; // msghdr.msg_iov, after msg_name (8) and msg_namelen (4 + 4 padding)
    private const int IovLengthOffset = 24; // msghdr.msg_iovlen
    private const int IoVecSize = 16; // struct iovec: iov_base, iov_len

    /// <summary>libc's <c>syscall()</c>, or 0 when it cannot be found.</summary>
    private static nint Resolve() =>
        NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "syscall", out var f) ? f : 0;
}
