using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

public sealed class ArpTests
{
    [Fact]
    public void No_answer_throws_a_one_line_LinkException_after_three_requests()
    {
        using var bench = new TestBed(new ServerBehavior { AnswerArp = false });

        var ex = Should.Throw<LinkException>(() => bench.Engine.Resolve(Lan.ServerIp, Lan.ClientIp, Lan.ClientMac, TimeSpan.FromMilliseconds(100)));

        ex.Message.ShouldBe("no answer to ARP for 10.0.0.2 on memory-a (3 requests)");
        bench.Server.Step();
        var requests = bench.Server.Arp.ToList();
        requests.Count.ShouldBe(3);
        requests.Select(r => r.Stamp - Lan.Epoch).ShouldBe([TimeSpan.Zero, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)]);
        requests.ShouldAllBe(r => r.Parsed.Arp!.Value.Operation == ArpPacket.Request && r.Parsed.Arp!.Value.TargetIp == Lan.ServerIp);
        bench.Clock.Now.ShouldBe(TimeSpan.FromMilliseconds(300));
        bench.Events<PacketTraced>().Select(p => p.Note).ShouldBe(["ARP for the next hop", "ARP again (try 2)", "ARP again (try 3)"]);
        bench.Engine.Neighbours.Count.ShouldBe(0);
    }

    [Fact]
    public void The_number_of_tries_is_in_the_message()
    {
        using var bench = new TestBed(new ServerBehavior { AnswerArp = false });

        Should.Throw<LinkException>(() => bench.Engine.Resolve(Lan.RouterIp, Lan.ClientIp, Lan.ClientMac, TimeSpan.FromMilliseconds(50), tries: 5))
            .Message.ShouldBe("no answer to ARP for 10.0.0.254 on memory-a (5 requests)");
        bench.Server.Step();
        bench.Server.Arp.Count().ShouldBe(5);
    }

    [Fact]
    public void A_late_answer_to_the_second_request_is_taken()
    {
        using var bench = new TestBed(new ServerBehavior { AnswerArp = false });
        var seen = 0;
        bench.Server.Intercept = s =>
        {
            if (s.Parsed.Arp is { Operation: ArpPacket.Request } && ++seen == 2)
            {
                bench.Server.Send(Frames.ArpReply(Lan.ServerMac, Lan.ServerIp, Lan.ClientMac, Lan.ClientIp));
            }

            return false;
        };

        bench.Engine.Resolve(Lan.ServerIp, Lan.ClientIp, Lan.ClientMac, TimeSpan.FromMilliseconds(100)).ShouldBe(Lan.ServerMac);
        seen.ShouldBe(2);
    }

    [Fact]
    public void A_reply_for_another_address_does_not_end_the_wait()
    {
        using var bench = new TestBed(new ServerBehavior { AnswerArp = false });
        var other = MacAddress.Parse("02:00:00:00:00:0c");
        bench.Server.Intercept = s =>
        {
            if (s.Parsed.Arp is { Operation: ArpPacket.Request })
            {
                bench.Server.Send(Frames.ArpReply(other, Lan.RouterIp, Lan.ClientMac, Lan.ClientIp));
            }

            return false;
        };

        Should.Throw<LinkException>(() => bench.Engine.Resolve(Lan.ServerIp, Lan.ClientIp, Lan.ClientMac, TimeSpan.FromMilliseconds(100)));
        bench.Engine.Neighbours.TryGet(Lan.ServerIp, out _).ShouldBeFalse();
    }

    [Fact]
    public void The_phantom_responder_answers_for_a_phantom_address_with_the_links_mac()
    {
        using var bench = new TestBed();
        bench.Engine.PhantomAddresses.Add(Lan.PhantomIp);
        var observed = new List<ArpPacket>();
        bench.Engine.Observer = (frame, wall, in parsed) =>
        {
            if (parsed.Arp is { } a)
            {
                observed.Add(a);
            }
        };

        bench.Server.Send(Frames.ArpRequest(Lan.ServerMac, Lan.ServerIp, Lan.PhantomIp));
        bench.Engine.Pump(TimeSpan.FromMilliseconds(50));
        bench.Server.Step();

        var reply = bench.Server.Arp.ShouldHaveSingleItem();
        reply.Parsed.Ethernet!.Value.Source.ShouldBe(Lan.ClientMac);
        reply.Parsed.Ethernet!.Value.Destination.ShouldBe(Lan.ServerMac);
        var arp = reply.Parsed.Arp!.Value;
        arp.Operation.ShouldBe(ArpPacket.Reply);
        arp.SenderMac.ShouldBe(Lan.ClientMac);
        arp.SenderIp.ShouldBe(Lan.PhantomIp);
        arp.TargetMac.ShouldBe(Lan.ServerMac);
        arp.TargetIp.ShouldBe(Lan.ServerIp);
        observed.ShouldBeEmpty();

        var packets = bench.Events<PacketTraced>();
        packets.Select(p => p.Dir).ShouldBe([Direction.In, Direction.Out]);
        packets[1].Note.ShouldBe("answering ARP for the phantom source");
    }

    [Fact]
    public void The_phantom_responder_ignores_requests_for_other_addresses_and_replies()
    {
        using var bench = new TestBed();
        bench.Engine.PhantomAddresses.Add(Lan.PhantomIp);
        var observed = new List<ArpPacket>();
        bench.Engine.Observer = (frame, wall, in parsed) =>
        {
            if (parsed.Arp is { } a)
            {
                observed.Add(a);
            }
        };

        bench.Server.Send(Frames.ArpRequest(Lan.ServerMac, Lan.ServerIp, Lan.ClientIp));        // our real address: the kernel's business
        bench.Server.Send(Frames.ArpRequest(Lan.ServerMac, Lan.ServerIp, IPv4Address.Parse("10.0.0.98")));
        bench.Server.Send(Frames.ArpReply(Lan.ServerMac, Lan.PhantomIp, Lan.ClientMac, Lan.ClientIp)); // a reply naming the phantom: not a question
        bench.Engine.Pump(TimeSpan.FromMilliseconds(50));
        bench.Server.Step();

        bench.Server.Arp.ShouldBeEmpty();
        observed.Count.ShouldBe(3);
        bench.Events<PacketTraced>().ShouldBeEmpty();
    }

    [Fact]
    public void Without_phantom_addresses_nothing_is_answered()
    {
        using var bench = new TestBed();

        bench.Server.Send(Frames.ArpRequest(Lan.ServerMac, Lan.ServerIp, Lan.PhantomIp));
        bench.Engine.Pump(TimeSpan.FromMilliseconds(50));
        bench.Server.Step();

        bench.Server.Arp.ShouldBeEmpty();
    }
}
