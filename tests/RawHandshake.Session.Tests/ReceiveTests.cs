using System.Text;
using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

public class ReceiveTests
{
    private static string Text(Lab lab) => Encoding.ASCII.GetString(lab.Session.Received);

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void In_order_data_is_delivered_and_acknowledged_at_once(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();

        lab.Deliver(lab.Server.Data("hello", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(6), 64240, kind: SegmentKind.Normal);
        Single<DataReceived>(lab.Events()).ShouldBe(new DataReceived(lab.S(1), 5, 5));

        lab.Deliver(lab.Server.Data(" world", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(12), 64240);
        Text(lab).ShouldBe("hello world");
        lab.Session.ReceivedCount.ShouldBe(11);
        lab.Session.RcvNxt.ShouldBe(lab.S(12));
        lab.ExpectDeadline(null, "receiving arms no timer");
    }

    [Fact]
    public void Acks_carry_timestamps_echoing_the_servers_latest_tsval()
    {
        var lab = new Lab(configure: c => c with { Timestamps = true, TsOffset = 5 }).Established(ts: true);
        lab.Advance(Ms(40));
        lab.Server.TsVal = 900;
        lab.Deliver(lab.Server.Data("x", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(2), 64240, options: new TcpOptionSet(Timestamps: (45u, 900u)));
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Out_of_order_without_sack_dup_ack_then_the_gap_fills_and_one_ack_covers_all(uint clientIsn, uint serverIsn) =>
        OutOfOrderScenario(new Lab(clientIsn, serverIsn).Established(), sack: false);

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Out_of_order_with_sack_dup_ack_carries_the_held_block(uint clientIsn, uint serverIsn) =>
        OutOfOrderScenario(new Lab(clientIsn, serverIsn, c => c with { SackPermitted = true }).Established(sack: true), sack: true);

    private static void OutOfOrderScenario(Lab lab, bool sack)
    {
        lab.Deliver(lab.Server.DataAt(0, "abc", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(4), 64240);
        lab.Events();

        lab.Deliver(lab.Server.DataAt(6, "ghi", ackRel: 1)); // "def" is missing
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(4), 64240, kind: SegmentKind.DuplicateAck,
            sack: sack ? [(lab.S(7).Value, lab.S(10).Value)] : null, because: "duplicate ACK for the hole");
        Text(lab).ShouldBe("abc", "out-of-order data is held, not delivered");
        None<DataReceived>(lab.Events());

        lab.Deliver(lab.Server.DataAt(3, "def", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(10), 64240, kind: SegmentKind.Normal, because: "one ACK covering everything");
        Text(lab).ShouldBe("abcdefghi");
        lab.Events().OfType<DataReceived>().ShouldBe([new DataReceived(lab.S(4), 3, 6), new DataReceived(lab.S(7), 3, 9)]);
    }

    [Fact]
    public void Only_the_ack_of_in_order_data_may_wait_for_an_answer_to_carry_it()
    {
        var lab = new Lab(configure: c => c with { SackPermitted = true }).Established(sack: true);
        lab.Deliver(lab.Server.DataAt(0, "abc", ackRel: 1));
        lab.Take().ShouldHaveSingleItem().Deferrable.ShouldBeTrue("in-order data: an answer to it may carry the ACK");

        lab.Deliver(lab.Server.DataAt(6, "ghi", ackRel: 1));
        var dup = lab.Take().ShouldHaveSingleItem();
        dup.Kind.ShouldBe(SegmentKind.DuplicateAck);
        dup.Deferrable.ShouldBeFalse("a duplicate ACK tells the server of the hole at once");

        lab.Deliver(lab.Server.DataAt(3, "def", ackRel: 1));
        lab.Take().ShouldHaveSingleItem().Deferrable.ShouldBeTrue("the gap filled: one ACK covering everything");

        lab.Deliver(lab.Server.Fin(ackRel: 1));
        lab.Take().ShouldHaveSingleItem().Deferrable.ShouldBeFalse("the ACK of a FIN goes at once");
    }

    [Fact]
    public void Several_holes_are_all_filled_in_order()
    {
        var lab = new Lab(configure: c => c with { SackPermitted = true }).Established(sack: true);
        lab.Deliver(lab.Server.DataAt(8, "89", ackRel: 1));
        lab.Deliver(lab.Server.DataAt(4, "4567", ackRel: 1));
        lab.Deliver(lab.Server.DataAt(2, "23", ackRel: 1));
        lab.ExpectCount(3).ShouldAllBe(s => s.Ack == lab.S(1));
        Text(lab).ShouldBe(string.Empty);
        lab.Deliver(lab.Server.DataAt(0, "01", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(11), 64240);
        Text(lab).ShouldBe("0123456789");
    }

    [Fact]
    public void Sack_blocks_are_capped_at_four_and_at_three_beside_timestamps()
    {
        var plain = new Lab(configure: c => c with { SackPermitted = true }).Established(sack: true);
        var withTs = new Lab(configure: c => c with { SackPermitted = true, Timestamps = true }).Established(sack: true, ts: true);
        foreach (var lab in new[] { plain, withTs })
        {
            for (var i = 1; i <= 5; i++)
            {
                lab.Deliver(lab.Server.DataAt(i * 20, "xxxxx", ackRel: 1));
            }

            var last = lab.Take()[^1];
            last.Sack.ShouldNotBeNull().Length.ShouldBe(lab == plain ? 4 : 3);
        }
    }

    [Fact]
    public void First_sack_block_reports_the_segment_that_triggered_the_ack()
    {
        // RFC 2018 §4: "The first SACK block ... MUST specify the contiguous block of data containing the segment
        // which triggered this ACK"; the rest follow most recent first.
        var lab = new Lab(configure: c => c with { SackPermitted = true }).Established(sack: true);
        lab.Deliver(lab.Server.DataAt(10, "11111", ackRel: 1));
        lab.Take();
        lab.Deliver(lab.Server.DataAt(20, "22222", ackRel: 1)); // the trigger is the higher block
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.DuplicateAck,
            sack: [(lab.S(21).Value, lab.S(26).Value), (lab.S(11).Value, lab.S(16).Value)]);
    }

    [Fact]
    public void Adjacent_held_segments_are_reported_as_one_contiguous_sack_block()
    {
        // RFC 2018 §3: a SACK block describes one contiguous block of queued data.
        var lab = new Lab(configure: c => c with { SackPermitted = true }).Established(sack: true);
        lab.Deliver(lab.Server.DataAt(10, "11111", ackRel: 1));
        lab.Take();
        lab.Deliver(lab.Server.DataAt(15, "22222", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.DuplicateAck,
            sack: [(lab.S(11).Value, lab.S(21).Value)]);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Retransmitted_server_data_raises_peer_retransmission_and_is_re_acked(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Deliver(lab.Server.DataAt(0, "abc", ackRel: 1));
        lab.Take();
        lab.Events();

        lab.Deliver(lab.Server.DataAt(0, "abc", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(4), 64240, kind: SegmentKind.DuplicateAck);
        var events = lab.Events();
        Single<PeerRetransmission>(events).ShouldBe(new PeerRetransmission(lab.S(1), 3));
        None<DataReceived>(events);
        Text(lab).ShouldBe("abc");
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void A_partly_overlapping_segment_keeps_only_the_new_bytes(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Deliver(lab.Server.DataAt(0, "abc", ackRel: 1));
        lab.Take();
        lab.Events();

        lab.Deliver(lab.Server.DataAt(1, "bcdef", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(7), 64240);
        Single<DataReceived>(lab.Events()).ShouldBe(new DataReceived(lab.S(4), 3, 6));
        Text(lab).ShouldBe("abcdef");
    }

    [Fact]
    public void A_held_segment_overlapping_delivered_data_contributes_only_its_new_bytes()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.DataAt(4, "efgh", ackRel: 1));
        lab.Deliver(lab.Server.DataAt(0, "abcdef", ackRel: 1)); // covers half of the held segment
        Text(lab).ShouldBe("abcdefgh");
        lab.Take()[^1].Ack.ShouldBe(lab.S(9));
    }

    [Fact]
    public void Data_larger_than_the_mss_is_accepted_gso()
    {
        var lab = new Lab().Established();
        var big = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        lab.Deliver(lab.Server.Data(big, ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(5001), 64240);
        lab.Session.Received.ToArray().ShouldBe(big);
    }

    [Fact]
    public void Data_entirely_beyond_our_window_is_not_held()
    {
        var lab = new Lab(configure: c => c with { ReceiveWindow = 1000 }).Established();
        lab.Deliver(lab.Server.DataAt(1500, "zzzz", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 1000, kind: SegmentKind.DuplicateAck, because: "unacceptable segment: ACK and drop");
        lab.Deliver(lab.Server.DataAt(0, new byte[1000], ackRel: 1));
        lab.Deliver(lab.Server.DataAt(1000, new byte[500], ackRel: 1));
        lab.Deliver(lab.Server.DataAt(1500, "yyyy", ackRel: 1));
        lab.Session.ReceivedCount.ShouldBe(1504);
        Encoding.ASCII.GetString(lab.Session.Received[1500..]).ShouldBe("yyyy", "the dropped 'zzzz' was never held");
    }

    [Fact]
    public void A_shut_receive_window_refuses_data_with_a_zero_window_ack()
    {
        var lab = new Lab().Established();
        lab.Session.SetReceiveWindow(0);
        lab.Deliver(lab.Server.DataAt(0, "abc", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 0, kind: SegmentKind.DuplicateAck);
        Text(lab).ShouldBe(string.Empty);

        lab.Session.SetReceiveWindow(64240);
        lab.Deliver(lab.Server.DataAt(0, "abc", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(4), 64240);
        Text(lab).ShouldBe("abc");
    }

    /// <summary>
    /// RFC 9293 §3.10.7.4: a shut window refuses the data but still takes a valid ACK (seen against slirp, which
    /// acknowledges our byte and echoes it in one segment: the byte was retransmitted although it was acknowledged).
    /// </summary>
    [Fact]
    public void A_shut_receive_window_refuses_the_data_but_takes_its_ack()
    {
        var lab = new Lab().Established();
        lab.Session.SetReceiveWindow(0);
        lab.Send("A");
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1), lab.S(1), 0, len: 1);

        lab.Deliver(lab.Server.DataAt(0, "A", ackRel: 2));

        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(1), 0, kind: SegmentKind.DuplicateAck, because: "the data is refused, our byte is acknowledged");
        lab.Session.SndUna.ShouldBe(lab.C(2));
        Text(lab).ShouldBe(string.Empty);
        lab.Advance(Lab.Ms(5000));
        lab.Take().ShouldNotContain(s => s.Payload.Length > 0, "nothing acknowledged is sent again");
    }

    [Fact]
    public void A_receive_window_smaller_than_one_scale_unit_is_not_scaled_away_to_zero()
    {
        // 2172 >> 13 is 0: advertising 0 shuts the window for good. Linux rounds up to 1 << wscale
        // (__tcp_select_window: "Advertise enough space so that it won't get scaled away").
        var lab = new Lab(configure: c => c with { WindowScale = 13, ReceiveWindow = 2172 }).Established(ws: 0);
        lab.Deliver(lab.Server.Data("q", ackRel: 1));
        var ack = lab.Take().ShouldHaveSingleItem();
        if (ack.Window == 0 || ack.Ack != lab.S(2))
        {
            throw new ShouldAssertException($"a 2172-byte receive window with shift 13: expected the byte accepted under a nonzero window, saw {lab.Describe(ack)}");
        }
    }

    [Fact]
    public void Receive_window_is_advertised_scaled_down_by_our_shift()
    {
        var lab = new Lab(configure: c => c with { WindowScale = 4, ReceiveWindow = 1 << 20 }).Established(ws: 0);
        lab.Deliver(lab.Server.Data("q", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(2), 65535, because: "2^20 >> 4 = 65536 clamps to 65535");
    }

    [Fact]
    public void A_window_set_before_connect_is_the_syns_and_is_scaled_once_scaling_is_agreed()
    {
        // A recipe's "window 200" before "connect": the SYN says 200 (a SYN's window is never scaled), and after the
        // handshake with scale 7 agreed the field says 2 (200 >> 7, rounded up), i.e. 256 bytes, not 200 << 7.
        var lab = new Lab(configure: c => c with { WindowScale = 7 });
        lab.Session.SetReceiveWindow(200);
        lab.Connect();
        lab.Take().ShouldHaveSingleItem().Window.ShouldBe((ushort)200);
        lab.Deliver(lab.Server.SynAck(ws: 7));
        lab.Take().ShouldHaveSingleItem().Window.ShouldBe((ushort)2);
    }

    [Fact]
    public void A_window_set_before_connect_stays_unscaled_when_the_server_offers_no_scaling()
    {
        var lab = new Lab(configure: c => c with { WindowScale = 7 });
        lab.Session.SetReceiveWindow(200);
        lab.Connect();
        lab.Take().ShouldHaveSingleItem().Window.ShouldBe((ushort)200);
        lab.Deliver(lab.Server.SynAck());
        lab.Take().ShouldHaveSingleItem().Window.ShouldBe((ushort)200);
    }

    [Fact]
    public void A_zero_window_before_connect_is_a_zero_window_syn()
    {
        var lab = new Lab();
        lab.Session.SetReceiveWindow(0);
        lab.Connect();
        lab.Take().ShouldHaveSingleItem().Window.ShouldBe((ushort)0);
    }
}
