using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

/// <summary>
/// One long script (handshake, data both ways with loss, reordering and duplicates, close, TIME-WAIT) run from
/// several ISN pairs: relative to the ISNs, every segment and every event is the same. The wrapped pairs put
/// 2^32 inside the data both ways.
/// </summary>
public class WrapTests
{
    [Theory]
    [InlineData(0xFFFFFFF0u, 0xFFFFFFF0u)]
    [InlineData(0xFFFFFFFFu, 0xFFFFFFFFu)]
    [InlineData(0xFFFFF800u, 0xFFFFFC18u)]
    [InlineData(0x7FFFFFF0u, 0xFFFFFFF8u)]
    [InlineData(0u, 0xFFFFFA00u)]
    public void Everything_behaves_the_same_across_the_2_pow_32_wrap(uint clientIsn, uint serverIsn)
    {
        var reference = Script(1000, 5000);
        var wrapped = Script(clientIsn, serverIsn);
        for (var i = 0; i < Math.Min(reference.Count, wrapped.Count); i++)
        {
            if (reference[i] != wrapped[i])
            {
                throw new ShouldAssertException($"step {i}: with ISNs 1000/5000 '{reference[i]}', with {clientIsn:X8}/{serverIsn:X8} '{wrapped[i]}'");
            }
        }

        wrapped.Count.ShouldBe(reference.Count);
    }

    private static List<string> Script(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn, c => c with { WindowScale = 7, SackPermitted = true, Timestamps = true });
        var trace = new List<string>();
        void Record()
        {
            trace.AddRange(lab.Take().Select(s => $"{lab.Now.TotalMilliseconds} out {Relative(lab, s)}"));
            trace.AddRange(lab.Events().Select(e => $"{lab.Now.TotalMilliseconds} ev {Relative(lab, e)}"));
            trace.Add($"{lab.Now.TotalMilliseconds} state {lab.Session.State.ToRfc()}/{lab.Session.PeerState.ToRfc()} una=C+{lab.Session.SndUna.RelativeTo(lab.ClientIsn)} nxt=C+{lab.Session.SndNxt.RelativeTo(lab.ClientIsn)} rcv={(lab.Session.State == TcpState.SynSent ? "-" : $"S+{lab.Session.RcvNxt?.RelativeTo(lab.ServerIsn)}")} deadline={lab.Session.NextDeadline?.TotalMilliseconds}");
        }

        lab.Connect();
        Record();
        lab.FireTimer(); // one SYN retransmission
        Record();
        lab.Advance(Ms(20));
        lab.Deliver(lab.Server.SynAck(mss: 536, ws: 2, sack: true, ts: true, window: 1000));
        Record();

        // 3000 bytes out; the server loses the second segment of the first flight once.
        var data = Enumerable.Range(0, 3000).Select(i => (byte)(i * 13)).ToArray();
        lab.Send(data);
        var round = 0;
        var dropped = false;
        while (lab.Server.Received.Length < data.Length && round++ < 100)
        {
            var sent = lab.Take();
            trace.AddRange(sent.Select(s => $"{lab.Now.TotalMilliseconds} out {Relative(lab, s)}"));
            if (sent.Count == 0)
            {
                lab.FireTimer(); // what it retransmits is taken and absorbed on the next round
                trace.AddRange(lab.Events().Select(e => $"{lab.Now.TotalMilliseconds} ev {Relative(lab, e)}"));
                continue;
            }

            foreach (var s in sent)
            {
                if (!dropped && s.Seq == lab.C(537))
                {
                    dropped = true;
                    continue;
                }

                lab.Server.Absorb(s);
            }

            lab.Advance(Ms(10));
            lab.Server.TsVal += 10;
            lab.Deliver(lab.Server.Ack(window: 250));
            Record();
        }

        lab.Server.Received.ShouldBe(data);

        // 1500 bytes in: third segment first, the first twice, then the second.
        var incoming = Enumerable.Range(0, 1500).Select(i => (byte)(i * 7 + 1)).ToArray();
        lab.Deliver(lab.Server.DataAt(1000, incoming[1000..]));
        Record();
        lab.Deliver(lab.Server.DataAt(0, incoming[..500]));
        Record();
        lab.Deliver(lab.Server.DataAt(0, incoming[..500]));
        Record();
        lab.Deliver(lab.Server.DataAt(500, incoming[500..1000]));
        Record();
        lab.Session.Received.ToArray().ShouldBe(incoming);
        lab.Server.SndNxt = lab.S(1501);

        // A challenge ACK, then the close: our FIN, its FIN crossing ours, TIME-WAIT, retransmitted FIN.
        lab.Deliver(lab.Server.Rst(lab.S(1600)));
        Record();
        lab.Close();
        Record();
        lab.Deliver(lab.Server.Fin());
        Record();
        lab.Deliver(lab.Server.Ack(3002));
        Record();
        lab.Advance(Ms(100));
        lab.Deliver(lab.Server.Raw(TcpFlags.Fin | TcpFlags.Ack, lab.S(1501), lab.C(3002)));
        Record();
        lab.FireTimer();
        Record();
        lab.ExpectState(TcpState.Closed);
        return trace;
    }

    private static string Relative(Lab lab, Sent s) =>
        $"{s.Flags.ToWireshark()} seq=C+{s.Seq.RelativeTo(lab.ClientIsn)} ack={(s.Has(TcpFlags.Ack) ? $"S+{s.Ack.RelativeTo(lab.ServerIsn)}" : s.Ack.ToString())} win={s.Window} len={s.Payload.Length} {s.Kind} {s.Options} " +
        string.Join(",", (s.Sack ?? []).Select(b => $"S+{new SeqNum(b.Left).RelativeTo(lab.ServerIsn)}-S+{new SeqNum(b.Right).RelativeTo(lab.ServerIsn)}"));

    private static string Relative(Lab lab, SessionEvent e) => e switch
    {
        DataReceived d => $"DataReceived S+{d.Seq.RelativeTo(lab.ServerIsn)} {d.Length} {d.TotalReceived}",
        PeerRetransmission p => $"PeerRetransmission S+{p.Seq.RelativeTo(lab.ServerIsn)} {p.Length}",
        PeerFinReceived f => $"PeerFinReceived S+{f.Seq.RelativeTo(lab.ServerIsn)}",
        _ => e.ToString(),
    };
}
