using System.Diagnostics;
using System.Runtime.InteropServices;
using RawHandshake.Link.Native;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;
using SharpPcap;
using SharpPcap.LibPcap;

namespace RawHandshake.Link;

/// <summary>
/// A live interface through libpcap (SharpPcap <see cref="LibPcapLiveDevice"/>): one handle per run, Immediate mode,
/// non-blocking reads with <c>pcap_next_ex</c>, and <see cref="WaitReadable"/> as <c>poll()</c> on the handle's
/// selectable descriptor.
/// </summary>
/// <remarks>
/// Why not SharpPcap's <c>GetNextPacket</c>: it first polls the descriptor for up to ~500 ms whatever the read timeout or
/// the non-blocking flag says (measured: 502 ms with nothing to read, in non-blocking mode). <c>GetNextPacketPointers</c>
/// is a bare <c>pcap_next_ex</c>: in non-blocking mode it returns 0 at once when nothing is queued (measured 0.25 ms on
/// the first call, microseconds after). On Linux the handle never captures the frames it injected itself; kernel frames
/// are captured. The socket belongs to the network namespace of the thread that opened it, so after
/// <see cref="Open"/> the link may be used from any thread (one at a time).
/// </remarks>
public sealed unsafe class LiveLink : IFrameLink
{
    /// <summary>Snap length: veth and loopback deliver GSO frames far larger than the MTU; 262144 is libpcap's maximum.</summary>
    public const int DefaultSnapLength = 262144;

    private readonly LibPcapLiveDevice device;
    private readonly int selectableFd;
    private readonly bool nanosecondTimestamps;
    private readonly nint handle;
    private readonly bool handleReferenced;
    private bool disposed;
    private byte[]? vectors; // sendmmsg's headers and vectors (PacketSocket, pinned), made at the first batch

    private LiveLink(LibPcapLiveDevice device, string name, string? filter, int snapLength, bool promiscuous, int selectableFd, bool nanosecondTimestamps, int ringBytes)
    {
        RingBytes = ringBytes;
        this.device = device;
        Name = name;
        CaptureFilter = filter;
        SnapLength = snapLength;
        Promiscuous = promiscuous;
        this.selectableFd = selectableFd;
        this.nanosecondTimestamps = nanosecondTimestamps;
        LinkType = MapLinkType((int)device.LinkType);
        var added = false;
        device.Handle.DangerousAddRef(ref added); // held until Dispose: TrySend uses the raw handle
        handleReferenced = added;
        handle = device.Handle.DangerousGetHandle();
        HardwareAddress = ToMac(device.MacAddress?.GetAddressBytes());
        SendNeverBlocks = IsNonBlocking(selectableFd);
        SendsDirect = LinkType == LinkType.Ethernet && PacketSocket.Probe(selectableFd);
    }

    public string Name { get; }

    public LinkType LinkType { get; }

    public MacAddress? HardwareAddress { get; }

    /// <summary>The BPF filter applied in the kernel, or null for everything.</summary>
    public string? CaptureFilter { get; }

    public int SnapLength { get; }

    public bool Promiscuous { get; }

    /// <summary>The capture ring asked of libpcap (<c>pcap_set_buffer_size</c>), see <see cref="CaptureRing"/>.</summary>
    public int RingBytes { get; }

    /// <summary>Whether received timestamps carry nanoseconds (else microseconds); both become 100 ns ticks.</summary>
    public bool NanosecondTimestamps => nanosecondTimestamps;

    /// <summary>The descriptor <see cref="WaitReadable"/> polls (from <c>pcap_get_selectable_fd</c>).</summary>
    public int SelectableFd => selectableFd;

    /// <summary>The handle's socket is non-blocking (<c>O_NONBLOCK</c>, set by <c>pcap_setnonblock</c>): a send fails at
    /// once when the socket's buffer is full rather than waiting, so <see cref="TrySend"/> may skip the runtime's GC
    /// transition (<see cref="LibPcapNative.InjectNonBlocking"/>).</summary>
    public bool SendNeverBlocks { get; }

    /// <summary><see cref="TrySend"/> makes <c>pcap_inject</c>'s own system call on libpcap's packet socket itself
    /// (<see cref="PacketSocket"/>): Linux, an Ethernet or loopback interface.</summary>
    public bool SendsDirect { get; }

    /// <summary><see cref="TrySendBatch"/> hands the kernel many frames per system call (<c>sendmmsg</c>) when the link
    /// <see cref="SendsDirect"/>.</summary>
    public bool SendsBatches => SendsDirect;

    /// <summary>Whether the kernel is asked for nanosecond receive stamps on this handle's socket (<c>SO_TIMESTAMPNS</c>),
    /// which makes it stamp every frame the host receives; null when it cannot tell.</summary>
    internal bool? SocketAsksForTimestamps
    {
        get
        {
            int value = 0;
            uint length = sizeof(int);
            return LibC.GetSockOpt(selectableFd, LibC.SolSocket, LibC.SoTimestampNs, &value, &length) == 0 ? value != 0 : null;
        }
    }

    private static bool IsNonBlocking(int fd)
    {
        var flags = LibC.Fcntl(fd, LibC.FGetFl);
        return flags >= 0 && (flags & LibC.ONonBlock) != 0;
    }

    /// <summary>
    /// Opens <paramref name="interfaceName"/> for capture and injection. Promiscuous mode is off unless asked for (not
    /// needed on veth or for traffic addressed to the interface). Throws <see cref="LinkException"/> with a one-line
    /// reason: libpcap missing, unknown interface, no privilege, interface down, bad filter.
    /// </summary>
    /// <param name="ringBytes">The capture ring (<see cref="CaptureRing"/>): what arrives while the program is not reading
    /// must fit, or it is dropped (counted by <see cref="Statistics"/>).</param>
    /// <param name="nanosecondTimestamps">Received frames stamped to the nanosecond (else to the microsecond). Asking for
    /// nanoseconds makes libpcap set <c>SO_TIMESTAMPNS</c> on its socket, and while any socket has it the kernel reads the
    /// clock for every frame received on the host (<c>netstamp_needed</c>, in <c>netif_rx</c>), our own injected frames'
    /// receiver included: about 2 % of a high-rate sender's CPU on veth. Microseconds leave the ring's own stamp, taken
    /// when the frame reaches the capture.</param>
    public static LiveLink Open(string interfaceName, string? captureFilter, int snapLength = DefaultSnapLength, bool promiscuous = false, int ringBytes = CaptureRing.Small,
        bool nanosecondTimestamps = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(interfaceName);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(ringBytes, CaptureRing.Min);
        try
        {
            return OpenCore(interfaceName, captureFilter, snapLength, promiscuous, ringBytes, nanosecondTimestamps);
        }
        catch (Exception e) when (e is not LinkException && LinkErrors.IsLibpcapMissing(e))
        {
            throw new LinkException(LinkErrors.LibpcapMissing, e);
        }
        catch (PcapException e)
        {
            throw new LinkException(OpenFailure(interfaceName, e.Error, e.Message), e);
        }
    }

    private static LiveLink OpenCore(string name, string? filter, int snapLength, bool promiscuous, int ringBytes, bool nanosecondTimestamps)
    {
        // A fresh list (not the cached Instance): the calling thread may have entered another network namespace.
        var devices = LibPcapLiveDeviceList.New();
        var device = devices.FirstOrDefault(d => d.Name == name)
            ?? throw new LinkException(LinkErrors.UnknownInterface(name, LinkErrors.KernelInterfaceNames()));

        var failures = new List<ConfigurationFailedEventArgs>();
        var config = new DeviceConfiguration
        {
            Mode = promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
            Immediate = true,
            Snaplen = snapLength,
            ReadTimeout = 1, // unused: the handle is non-blocking and waits go through poll()
            BufferSize = ringBytes, // sized by need (CaptureRing): its pages are most of the process's memory
            TimestampResolution = nanosecondTimestamps ? TimestampResolution.Nanosecond : TimestampResolution.Microsecond,
        };
        config.ConfigurationFailed += (_, e) => failures.Add(e);

        try
        {
            device.Open(config);
        }
        catch (PcapException e)
        {
            throw new LinkException(OpenFailure(name, e.Error, e.Message), e);
        }

        try
        {
            if (failures.FirstOrDefault(f => f.Property == nameof(DeviceConfiguration.Immediate)) is { } immediate)
            {
                throw new LinkException($"cannot enable immediate mode on {name}: {immediate.Message}");
            }

            if (failures.FirstOrDefault(f => f.Property == nameof(DeviceConfiguration.Snaplen)) is { } snap)
            {
                throw new LinkException($"cannot set snap length {snapLength} on {name}: {snap.Message}");
            }

            if (!string.IsNullOrWhiteSpace(filter))
            {
                ApplyFilter(device, filter);
            }

            device.NonBlockingMode = true;
            var fd = LibPcapNative.GetSelectableFd(device.Handle);
            if (fd < 0)
            {
                throw new LinkException($"{name} has no selectable descriptor to wait on");
            }

            var nano = device.TimestampResolution == TimestampResolution.Nanosecond;
            return new LiveLink(device, name, string.IsNullOrWhiteSpace(filter) ? null : filter, snapLength, promiscuous, fd, nano, ringBytes);
        }
        catch
        {
            device.Close();
            throw;
        }
    }

    private static void ApplyFilter(LibPcapLiveDevice device, string filter)
    {
        try
        {
            device.Filter = filter;
        }
        catch (PcapException e)
        {
            // SharpPcap passes libpcap's own text through (e.g. "can't parse filter expression: syntax error").
            throw new LinkException($"bad capture filter '{filter}': {OneLine(e.Message)}", e);
        }
    }

    internal static string OpenFailure(string name, PcapError error, string message) => error switch
    {
        PcapError.PermissionDenied or PcapError.PromiscuousPermissionDenied => LinkErrors.NeedsNetRaw(name),
        PcapError.NoSuchDevice => LinkErrors.UnknownInterface(name, LinkErrors.KernelInterfaceNames()),
        PcapError.InterfaceNotUp => $"interface {name} is down (ip link set {name} up)",
        _ => $"cannot open {name}: {OneLine(message)}",
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>Stamps the time (just before: on veth the reply often arrives during the send call), then injects.</summary>
    public DateTimeOffset Send(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var stamp = DateTimeOffset.UtcNow;
        try
        {
            device.SendPacket(frame);
        }
        catch (PcapException e)
        {
            throw new LinkException($"sending a {frame.Length}-byte frame on {Name} failed: {OneLine(e.Message)}", e);
        }

        return stamp;
    }

    /// <summary><c>pcap_inject</c> straight from the span: no time stamp, no exception, no allocation (the high-rate path;
    /// a refused frame is counted by the caller); without the GC transition when the socket never blocks.</summary>
    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (SendsDirect)
        {
            return PacketSocket.Send(selectableFd, frame);
        }

        var written = SendNeverBlocks ? LibPcapNative.InjectNonBlocking(handle, frame) : LibPcapNative.Inject(handle, frame);
        return written == frame.Length;
    }

    /// <summary>The batch in as few <c>sendmmsg</c> calls as <see cref="PacketSocket.MaxBatch"/> allows when
    /// <see cref="SendsDirect"/>, else frame by frame through <see cref="TrySend"/>. Allocates nothing after the first
    /// call; one thread at a time, as every call on a link.</summary>
    public int TrySendBatch(ReadOnlySpan<byte> frames, int frameLength)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!SendsDirect)
        {
            return IFrameLink.SendOneByOne(this, frames, frameLength);
        }

        IFrameLink.CheckBatch(frames, frameLength);
        var count = frames.Length / frameLength;
        vectors ??= PacketSocket.AllocateVectors();
        var sent = 0;
        while (sent < count)
        {
            var n = Math.Min(PacketSocket.MaxBatch, count - sent);
            var took = PacketSocket.SendBatch(selectableFd, vectors, frames.Slice(sent * frameLength, n * frameLength), frameLength);
            sent += took;
            if (took < n)
            {
                break; // the kernel refused frame `sent`
            }
        }

        return sent;
    }

    public int Poll(FrameHandler handler, int max = 64)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(disposed, this);
        var delivered = 0;
        while (delivered < max)
        {
            nint header = 0;
            nint data = 0;
            var result = device.GetNextPacketPointers(ref header, ref data);
            if (result == 0 || result == -2)
            {
                break; // nothing queued (non-blocking), or pcap_breakloop
            }

            if (result != 1)
            {
                throw new LinkException($"reading from {Name} failed: {OneLine(device.LastError ?? "unknown error")}");
            }

            // struct pcap_pkthdr { struct timeval ts; bpf_u_int32 caplen; bpf_u_int32 len; } — timeval is two longs.
            var seconds = (long)((nint*)header)[0];
            var fraction = (long)((nint*)header)[1];
            var captured = *(uint*)((byte*)header + (2 * sizeof(nint)));
            var ticks = (seconds * TimeSpan.TicksPerSecond) + (nanosecondTimestamps ? fraction / 100 : fraction * 10);
            handler(new ReadOnlySpan<byte>((void*)data, (int)captured), DateTimeOffset.UnixEpoch.AddTicks(ticks));
            delivered++;
        }

        return delivered;
    }

    /// <summary>libpcap's counters for this handle (<c>pcap_stats</c>): frames the filter passed and frames dropped because
    /// the ring was full; null when libpcap cannot tell.</summary>
    public CaptureStatistics? Statistics()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        try
        {
            var s = device.Statistics;
            return new CaptureStatistics(s.ReceivedPackets, s.DroppedPackets, s.InterfaceDroppedPackets);
        }
        catch (PcapException)
        {
            return null;
        }
    }

    /// <summary><c>poll()</c> on the selectable descriptor; retries after signals with the time left; never spins.</summary>
    public bool WaitReadable(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var infinite = timeout == Timeout.InfiniteTimeSpan;
        var start = Stopwatch.GetTimestamp(); // not a Stopwatch object: nothing is allocated per wait
        while (true)
        {
            var ms = infinite ? -1 : TimeoutMs(timeout - Stopwatch.GetElapsedTime(start));
            var pfd = new LibC.PollFd { Fd = selectableFd, Events = LibC.PollIn };
            var n = LibC.Poll(&pfd, 1, ms);
            if (n > 0)
            {
                return true; // POLLIN, or POLLERR/POLLHUP: the next Poll reports the error
            }

            if (n == 0)
            {
                return false;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EIntr)
            {
                throw new LinkException($"waiting on {Name} failed: {LibC.StrError(errno)}");
            }
        }
    }

    internal static int TimeoutMs(TimeSpan timeout) =>
        timeout <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (handleReferenced)
        {
            device.Handle.DangerousRelease();
        }

        device.Close();
    }

    public override string ToString() => $"{Name} ({LinkType}{(CaptureFilter is null ? string.Empty : $", filter '{CaptureFilter}'")})";

    /// <summary>libpcap DLT_ values → LINKTYPE_ values (they differ only for a few, e.g. DLT_RAW).</summary>
    internal static LinkType MapLinkType(int dlt) => dlt switch
    {
        12 or 14 => LinkType.Raw,
        _ => (LinkType)(uint)dlt,
    };

    internal static MacAddress? ToMac(byte[]? bytes) =>
        bytes is { Length: 6 } && bytes.Any(b => b != 0) ? MacAddress.Read(bytes) : null;
}
