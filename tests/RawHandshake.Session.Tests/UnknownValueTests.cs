using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session.Tests;

/// <summary>
/// Issue 9 §2: a value that is not known yet is null, never 0. Driven over ISNs across the whole 2^32 range, on both
/// sides: 0, 1, 2^31 − 1, 2^31, 2^32 − 1 and random.
/// </summary>
public class UnknownValueTests
{
    public static TheoryData<uint, uint> IsnPairs()
    {
        uint[] edges = [0u, 1u, 0x7FFF_FFFFu, 0x8000_0000u, 0xFFFF_FFFFu];
        var data = new TheoryData<uint, uint>();
        var rng = new Random(9);
        foreach (var c in edges)
        {
            foreach (var s in edges)
            {
                data.Add(c, s);
            }
        }

        for (var i = 0; i < 8; i++)
        {
            data.Add((uint)rng.NextInt64(0, 1L << 32), (uint)rng.NextInt64(0, 1L << 32));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(IsnPairs))]
    public void Before_the_syn_ack_nothing_of_the_server_is_known(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Connect();
        lab.Session.Irs.ShouldBeNull();
        lab.Session.RcvNxt.ShouldBeNull();
        lab.Session.LastAckSent.ShouldBeNull("no ACK has been sent");

        lab.Deliver(lab.Server.SynAck());
        lab.Session.Irs.ShouldBe(lab.S(0));
        lab.Session.RcvNxt.ShouldBe(lab.S(1));
        lab.Session.LastAckSent.ShouldBe(lab.S(1));
    }

    [Theory]
    [MemberData(nameof(IsnPairs))]
    public void A_retransmitted_syn_ack_is_acknowledged_again_whatever_the_isns(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Connect();
        lab.Take();
        lab.Deliver(lab.Server.SynAck());
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240);

        // Our ACK was lost: the server sends its SYN-ACK again, we acknowledge it again.
        lab.Deliver(lab.Server.SynAck());
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.DuplicateAck);
        lab.Session.State.ShouldBe(TcpState.Established);
    }

    [Theory]
    [MemberData(nameof(IsnPairs))]
    public void In_manual_mode_an_unacknowledged_syn_ack_leaves_last_ack_unknown(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn);
        lab.Session.SetManual(true, lab.Now, lab.Out);
        lab.Session.OnSending(new OutgoingSegment(TcpFlags.Syn, new SeqNum(clientIsn), default, 64240, default, ReadOnlyMemory<byte>.Empty), lab.Now, lab.Out);
        lab.Deliver(lab.Server.SynAck());
        lab.Session.State.ShouldBe(TcpState.Established);
        lab.Session.LastAckSent.ShouldBeNull("the user has not acknowledged the SYN-ACK");
        lab.ExpectNothing("manual mode sends nothing");
    }
}
