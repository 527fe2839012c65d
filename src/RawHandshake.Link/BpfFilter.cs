using System.Runtime.InteropServices;
using RawHandshake.Wire.Capture;

namespace RawHandshake.Link;

/// <summary>
/// A tcpdump filter expression (<c>tcp port 80 and host 198.18.0.1</c>) compiled by libpcap and run over frames already
/// in memory (<c>pcap_offline_filter</c>), so captures read from files and hex text can be filtered as tcpdump would.
/// One program per link type, compiled on first use (a pcapng file can mix them). Not thread-safe.
/// </summary>
public sealed unsafe class BpfFilter : IDisposable
{
    private const int SnapLength = 262144;
    private const int DltRaw = 12; // LINKTYPE_RAW (101) in files is DLT_RAW (12) in libpcap on Linux; the others share numbers
    private static readonly string[] LibraryNames = ["libpcap.so", "libpcap.so.0.8", "libpcap.so.1", "libpcap.so.0"];
    private static readonly Lazy<Api> Native = new(Api.Load);

    private readonly Dictionary<LinkType, nint> programs = [];
    private bool disposed;

    private BpfFilter(string expression) => Expression = expression;

    public string Expression { get; }

    /// <summary>
    /// Compiles <paramref name="expression"/> for <paramref name="link"/>; on failure <paramref name="error"/> is
    /// libpcap's message (<c>syntax error</c>, <c>unknown host 'x'</c>, …) and the result is null.
    /// </summary>
    public static BpfFilter? TryCreate(string expression, LinkType link, out string? error)
    {
        var filter = new BpfFilter(expression);
        if (filter.Program(link, out error) == 0)
        {
            filter.Dispose();
            return null;
        }

        return filter;
    }

    /// <summary>Whether the frame passes the filter. A link type the expression cannot compile for passes nothing.</summary>
    public bool Matches(ReadOnlySpan<byte> frame, LinkType link, int originalLength)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var program = Program(link, out _);
        if (program == 0)
        {
            return false;
        }

        var header = new PcapPacketHeader { CapturedLength = (uint)frame.Length, Length = (uint)Math.Max(originalLength, frame.Length) };
        fixed (byte* data = frame)
        {
            return Native.Value.OfflineFilter(program, &header, data) != 0;
        }
    }

    private nint Program(LinkType link, out string? error)
    {
        error = null;
        if (programs.TryGetValue(link, out var existing))
        {
            return existing;
        }

        var api = Native.Value;
        var dead = api.OpenDead(link == LinkType.Raw ? DltRaw : (int)link, SnapLength);
        if (dead == 0)
        {
            error = $"libpcap cannot open a handle for link type {(uint)link}";
            return 0;
        }

        try
        {
            var program = Marshal.AllocHGlobal(sizeof(BpfProgram));
            var text = Marshal.StringToCoTaskMemUTF8(Expression);
            try
            {
                if (api.Compile(dead, program, text, 1, 0xFFFFFFFF) != 0)
                {
                    error = Marshal.PtrToStringUTF8(api.GetErr(dead)) ?? "libpcap could not compile it";
                    Marshal.FreeHGlobal(program);
                    programs[link] = 0;
                    return 0;
                }
            }
            finally
            {
                Marshal.FreeCoTaskMem(text);
            }

            programs[link] = program;
            return program;
        }
        finally
        {
            api.Close(dead);
        }
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var p in programs.Values.Where(p => p != 0))
        {
            Native.Value.FreeCode(p);
            Marshal.FreeHGlobal(p);
        }

        programs.Clear();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct BpfProgram
    {
        public uint Length;
        public nint Instructions;
    }

    /// <summary>struct pcap_pkthdr on LP64 Linux: a struct timeval (two longs), caplen, len.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PcapPacketHeader
    {
        public long Seconds;
        public long Microseconds;
        public uint CapturedLength;
        public uint Length;
    }

    /// <summary>The libpcap entry points, loaded by the names SharpPcap's resolver tries, so both bind the same library.</summary>
    private sealed class Api
    {
        public delegate* unmanaged<int, int, nint> OpenDead;
        public delegate* unmanaged<nint, nint, nint, int, uint, int> Compile;
        public delegate* unmanaged<nint, nint> GetErr;
        public delegate* unmanaged<nint, PcapPacketHeader*, byte*, int> OfflineFilter;
        public delegate* unmanaged<nint, void> FreeCode;
        public delegate* unmanaged<nint, void> Close;

        public static Api Load()
        {
            var lib = LibraryNames.Select(n => NativeLibrary.TryLoad(n, out var h) ? h : 0).FirstOrDefault(h => h != 0);
            if (lib == 0)
            {
                throw new LinkException($"libpcap not found (tried {string.Join(", ", LibraryNames)}; install libpcap0.8)");
            }

            return new Api
            {
                OpenDead = (delegate* unmanaged<int, int, nint>)NativeLibrary.GetExport(lib, "pcap_open_dead"),
                Compile = (delegate* unmanaged<nint, nint, nint, int, uint, int>)NativeLibrary.GetExport(lib, "pcap_compile"),
                GetErr = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(lib, "pcap_geterr"),
                OfflineFilter = (delegate* unmanaged<nint, PcapPacketHeader*, byte*, int>)NativeLibrary.GetExport(lib, "pcap_offline_filter"),
                FreeCode = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "pcap_freecode"),
                Close = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "pcap_close"),
            };
        }
    }
}
