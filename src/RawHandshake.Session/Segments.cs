using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session;

/// <summary>A segment as the state machine sees it: header fields, negotiated-option summary and payload. Never bytes of a frame.</summary>
public readonly ref struct TcpSegment
{
    public TcpSegment(in TcpHeader header, in TcpOptionsSummary options, ReadOnlySpan<byte> payload)
    {
        Header = header;
        Options = options;
        Payload = payload;
    }

    public TcpHeader Header { get; }
    public TcpOptionsSummary Options { get; }
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>The option bytes as received (for SACK blocks); empty when the caller has none.</summary>
    public ReadOnlySpan<byte> OptionBytes { get; init; }

    /// <summary>When the segment reached the host, on the session's clock (the capture's stamp), if the caller knows;
    /// it may be well before the session is handed it when the process waited to be scheduled.</summary>
    public TimeSpan? ArrivedAt { get; init; }

    public TcpFlags Flags => Header.Flags;
    public SeqNum Seq => Header.Seq;
    public SeqNum Ack => Header.Ack;

    /// <summary>Sequence space the segment occupies: data plus one for SYN and one for FIN.</summary>
    public int SeqLength => SequenceSpace.Of(Header.Flags, Payload.Length);

    public bool Has(TcpFlags f) => (Header.Flags & f) == f;
}

/// <summary>Why a segment is being sent, for the trace.</summary>
public enum SegmentKind
{
    Normal,
    Retransmission,
    DuplicateAck,
    ChallengeAck,
    WindowProbe,
    Reset,
}

/// <summary>A segment the session wants on the wire; the engine wraps it in IPv4 and Ethernet.</summary>
public readonly record struct OutgoingSegment(TcpFlags Flags, SeqNum Seq, SeqNum Ack, ushort Window, TcpOptionSet Options, ReadOnlyMemory<byte> Payload, SegmentKind Kind = SegmentKind.Normal)
{
    /// <summary>Send it with a deliberately wrong TCP checksum (the receiver drops it).</summary>
    public bool CorruptChecksum { get; init; }

    /// <summary>SACK blocks (absolute), at most 3 beside timestamps.</summary>
    public (uint Left, uint Right)[]? SackBlocks { get; init; }

    /// <summary>
    /// A pure ACK of in-order data that a segment sent while the same input is still being handled may carry instead
    /// (data or a FIN our side sends in answer, with the same or a later acknowledgment). An output may hold it until
    /// the input has been handled and send it only if nothing carried it (RFC 9293 §3.8.6.3: an ACK may be delayed,
    /// and is best sent with data). Every other segment goes out at once.
    /// </summary>
    public bool Deferrable { get; init; }

    public int SeqLength => SequenceSpace.Of(Flags, Payload.Length);
}
