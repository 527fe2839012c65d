using CsCheck;
using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

/// <summary>
/// Random server behaviours against the session (CsCheck; shrinks to a small script on failure). Each round of the
/// server model is driven by a seed: segment sizes, reordering, duplicates, losses and stale retransmissions.
/// </summary>
public class PropertyTests
{
    public sealed record ReceiveCase(uint ClientIsn, uint ServerIsn, byte[] Payload, int Window, int OurWs, bool Sack, bool Fin, int[] Rounds)
    {
        public override string ToString() =>
            $"ISNs {ClientIsn:X8}/{ServerIsn:X8}, {Payload.Length} B, our window {Window} ws {OurWs}, sack {Sack}, fin {Fin}, rounds [{string.Join(",", Rounds)}]";
    }

    private static readonly Gen<uint> Isn = Gen.OneOf(Gen.UInt, Gen.UInt[0xFFFFF000, 0xFFFFFFFF], Gen.UInt[0, 0x1000]);

    private static readonly Gen<ReceiveCase> ReceiveCases =
        Gen.Select(Isn, Isn, Gen.Byte.Array[0, 4000], Gen.Int[1, 70_000], Gen.Int[-1, 14], Gen.Bool, Gen.Bool, Gen.Int[0, 1_000_000].Array[0, 25])
            .Select((c, s, p, w, ws, sack, fin, rounds) => new ReceiveCase(c, s, p, w, ws, sack, fin, rounds))
            .Where(c => c.OurWs < 0 || c.Window >> c.OurWs > 0); // a window scaled away to 0: see ReceiveTests

    [Fact]
    public void Received_equals_the_payload_and_every_ack_is_exact_and_monotonic() =>
        ReceiveCases.Sample(RunReceive, iter: 300);

    private static void RunReceive(ReceiveCase c)
    {
        var lab = new Lab(c.ClientIsn, c.ServerIsn, cfg => cfg with
        {
            ReceiveWindow = c.Window,
            WindowScale = c.OurWs < 0 ? null : (byte)c.OurWs,
            SackPermitted = c.Sack,
        }).Established(ws: 3, sack: c.Sack);

        var payload = c.Payload;
        var data0 = lab.S(1);
        var lastAck = data0;
        var acked = 0; // what the server has learnt from our ACKs (offset into the payload)
        lab.Out.OnTransmit = s =>
        {
            if (s.Flags != TcpFlags.Ack || s.Seq != lab.C(1) || s.Payload.Length != 0)
            {
                throw new ShouldAssertException($"expected a bare ACK at C+1, saw {lab.Describe(s)}");
            }

            var rel = s.Ack - data0;
            var expected = lab.Session.ReceivedCount + (lab.Session.PeerFinReceived ? 1 : 0);
            if (rel != expected || rel > payload.Length + 1)
            {
                throw new ShouldAssertException($"ACK {lab.Describe(s)} acknowledges {rel} bytes; {lab.Session.ReceivedCount} received in order (FIN {lab.Session.PeerFinReceived})");
            }

            if (s.Ack < lastAck)
            {
                throw new ShouldAssertException($"ACK went backwards: {lab.Describe(s)} after S+{lastAck.RelativeTo(lab.ServerIsn)}");
            }

            lastAck = s.Ack;
            acked = Math.Min(rel, payload.Length);
        };

        var steps = 0;
        void Deliver(int start, int end, bool fin)
        {
            if (++steps > 20_000)
            {
                throw new ShouldAssertException("more than 20 000 segments: no progress");
            }

            lab.Deliver(lab.Server.DataAt(start, payload[start..end], ackRel: 1, extra: fin ? TcpFlags.Fin : TcpFlags.None));
        }

        foreach (var seed in c.Rounds)
        {
            var rng = new Random(seed);
            var segs = new List<(int Start, int End, bool Fin)>();
            var end = Math.Min(payload.Length, acked + rng.Next(1, 6000));
            for (var pos = acked; pos < end;)
            {
                var n = Math.Min(rng.Next(1, 1500), end - pos);
                segs.Add((pos, pos + n, c.Fin && pos + n == payload.Length && rng.Next(2) == 0));
                pos += n;
            }

            if (acked > 0 && rng.Next(3) == 0)
            {
                var start = rng.Next(0, acked); // a stale retransmission, maybe reaching into new data
                segs.Add((start, Math.Min(payload.Length, start + rng.Next(1, 1500)), false));
            }

            foreach (var dup in segs.Where(_ => rng.Next(5) == 0).ToList())
            {
                segs.Insert(rng.Next(segs.Count + 1), dup);
            }

            segs = [.. segs.Where(_ => rng.Next(7) != 0).OrderBy(_ => rng.Next())];
            foreach (var (s, e, f) in segs)
            {
                lab.Advance(Ms(rng.Next(0, 3)));
                Deliver(s, e, f);
            }
        }

        while (acked < payload.Length)
        {
            Deliver(acked, Math.Min(payload.Length, acked + 1000), false);
        }

        lab.Session.Received.ToArray().ShouldBe(payload, c.ToString());
        if (c.Fin)
        {
            if (!lab.Session.PeerFinReceived)
            {
                lab.Deliver(lab.Server.Raw(TcpFlags.Fin | TcpFlags.Ack, lab.S(1 + payload.Length), lab.C(1)));
            }

            lab.ExpectState(TcpState.CloseWait);
            lastAck.ShouldBe(lab.S(payload.Length + 2));
        }
        else
        {
            lab.ExpectState(TcpState.Established);
            lastAck.ShouldBe(lab.S(payload.Length + 1));
        }
    }

    public sealed record SendCase(uint ClientIsn, uint ServerIsn, byte[] Payload, int Mss, int WindowField, int Ws, bool Close, int Seed)
    {
        public int Window => WindowField << Ws;

        public override string ToString() =>
            $"ISNs {ClientIsn:X8}/{ServerIsn:X8}, {Payload.Length} B, MSS {Mss}, window {WindowField}<<{Ws}={Window}, close {Close}, seed {Seed}";
    }

    // The window is at least one MSS: below it, retransmissions overrun the window (see SendTests).
    private static readonly Gen<SendCase> SendCases =
        Gen.Select(Isn, Isn, Gen.Byte.Array[0, 5000], Gen.Int[1, 1460], Gen.Int[1, 4000], Gen.Int[0, 4], Gen.Bool, Gen.Int)
            .Select((c, s, p, mss, w, ws, close, seed) => new SendCase(c, s, p, mss, w, ws, close, seed))
            .Where(c => c.Window >= c.Mss);

    [Fact]
    public void Sent_data_arrives_exactly_and_never_exceeds_the_offered_window() =>
        SendCases.Sample(RunSend, iter: 300);

    private static void RunSend(SendCase c)
    {
        var lab = new Lab(c.ClientIsn, c.ServerIsn, cfg => cfg with { WindowScale = 7, Retries = 40 })
            .Established(mss: (ushort)c.Mss, ws: (byte)c.Ws, window: (ushort)Math.Min(c.Window, 65535));
        var rng = new Random(c.Seed);
        var payload = c.Payload;
        var srv = lab.Server;
        var edge = lab.C(1) + c.Window;        // right edge of the window the server has offered (never shrinks here)
        var currentEdge = edge;                // right edge of the window it offers now (0 window: = its ACK)
        var highest = lab.C(1);                // highest sequence number we have sent
        lab.Out.OnTransmit = s =>
        {
            var end = s.Seq + s.Payload.Length;
            if (s.Payload.Length > 0 && end > edge)
            {
                throw new ShouldAssertException($"{lab.Describe(s)} ends past the window the server offered (C+{edge.RelativeTo(lab.ClientIsn)})");
            }

            if (s.Payload.Length > 0 && end > highest && end > currentEdge)
            {
                throw new ShouldAssertException($"new data {lab.Describe(s)} past the current window (C+{currentEdge.RelativeTo(lab.ClientIsn)})");
            }

            if (s.Has(TcpFlags.Syn) || s.Has(TcpFlags.Rst))
            {
                throw new ShouldAssertException($"unexpected {lab.Describe(s)}");
            }

            highest = SeqNum.Max(highest, end);
        };

        lab.Send(payload);
        if (c.Close)
        {
            lab.Close();
        }

        var target = lab.C(1 + payload.Length + (c.Close ? 1 : 0));
        for (var round = 0; srv.RcvNxt != target || lab.Session.SndUna != target; round++)
        {
            if (round > 5_000)
            {
                throw new ShouldAssertException($"no completion after 5000 rounds: server has {srv.Received.Length} B, session {lab.Session.State.ToRfc()}");
            }

            var sent = lab.Take();
            if (sent.Count == 0)
            {
                lab.FireTimer(); // a retransmission or a window probe
                continue;
            }

            var lost = false;
            foreach (var s in sent)
            {
                if (rng.Next(8) == 0)
                {
                    lost = true;
                    continue;
                }

                srv.Absorb(s);
            }

            lab.Advance(Ms(rng.Next(1, 50)));

            // A zero window only when nothing is missing (it would otherwise shrink the window over sent data).
            var zero = !lost && srv.RcvNxt == highest && rng.Next(6) == 0;
            currentEdge = srv.RcvNxt + (zero ? 0 : c.Window); // known before the ACK: the session sends inside Deliver
            edge = SeqNum.Max(edge, currentEdge);
            lab.Deliver(srv.Ack(window: zero ? (ushort)0 : (ushort)c.WindowField));
        }

        srv.Received.ShouldBe(payload, c.ToString());
        lab.Session.AcknowledgedCount.ShouldBe(payload.Length);
        lab.ExpectState(c.Close ? TcpState.FinWait2 : TcpState.Established);
    }
}
