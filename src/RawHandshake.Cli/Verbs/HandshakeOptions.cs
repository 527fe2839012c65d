using CommandLine;

namespace RawHandshake.Cli.Verbs;

[Verb("handshake", HelpText = "A whole TCP session by hand against a real server: handshake, push data, receive and ACK, close — traced.")]
public sealed partial class HandshakeOptions : LiveOptions, IPictureOptions
{
    [Option('t', "target", Required = true, HelpText = "Server as IP:PORT (or host:port).")]
    public string Target { get; set; } = "";

    [Option("data", HelpText = "Text to push (C escapes understood); repeat for several pushes, each waiting for its ACK.")]
    public IEnumerable<string> Data { get; set; } = [];

    [Option("data-hex", HelpText = "Bytes to push, as hex; repeat for several pushes (after every --data).")]
    public IEnumerable<string> DataHex { get; set; } = [];

    [Option("data-file", HelpText = "Push the contents of this file; repeat for several pushes (after every --data-hex).")]
    public IEnumerable<string> DataFile { get; set; } = [];

    [Option("expect-echo", HelpText = "Wait until everything pushed came back, and check it is the same.")]
    public bool ExpectEcho { get; set; }

    [Option("received-file", HelpText = "Write the bytes received from the server to this file.")]
    public string? ReceivedFile { get; set; }

    [Option("close", HelpText = "How to end: active (default), passive, simultaneous, half, rst, none. simultaneous needs a server that closes on its own (the lab's port 20001): our first FIN goes out with a bad checksum so that both FINs cross.")]
    public string? Close { get; set; }

    [Option("mss", HelpText = "MSS option in our SYN (default: the route's MTU, at most 1500, less 40 bytes over IPv4 or 60 over IPv6: 1460 or 1440; 0 leaves it out).")]
    public string? Mss { get; set; }

    [Option("wscale", HelpText = "Offer window scaling with this shift.")]
    public string? Wscale { get; set; }

    [Option("sackok", HelpText = "Offer SACK.")]
    public bool SackOk { get; set; }

    [Option("timestamps", HelpText = "Offer timestamps (RFC 7323).")]
    public bool Timestamps { get; set; }

    [Option("window", HelpText = "Receive window we advertise (default 64240).")]
    public string? Window { get; set; }

    [Option("isn", HelpText = "Our initial sequence number (default: a 4-µs clock plus a keyed hash of the connection, RFC 9293 §3.4.1).")]
    public string? Isn { get; set; }

    [Option("sport", HelpText = "Our source port (default: the next one outside the kernel's ephemeral range, from a random start).")]
    public string? Sport { get; set; }

    [Option("ttl", HelpText = "IP TTL of our frames (default 64).")]
    public string? Ttl { get; set; }

    [Option("rto", HelpText = "Initial retransmission timeout (default 1s), doubled at each retry.")]
    public string? Rto { get; set; }

    [Option("retries", HelpText = "Retransmissions before giving up (default 4).")]
    public string? Retries { get; set; }

    [Option("time-wait", HelpText = "How long to hold TIME-WAIT (default 500ms).")]
    public string? TimeWait { get; set; }

    [Option("ladder", HelpText = "Also draw the exchange as a ladder diagram.")]
    public bool Ladder { get; set; }

    [Option("ladder-svg", HelpText = "Draw the exchange as an SVG ladder diagram into this file (one arrow per frame, both sides' states at the margins).")]
    public string? LadderSvg { get; set; }

    [Option("report", HelpText = "Write one self-contained HTML page of the run into this file: ladder, time-sequence graphs, trace table, header diagrams, the pcap.")]
    public string? Report { get; set; }

    [Option("timeout", HelpText = "Give up on the whole run after this long (default 10s), e.g. 500ms, 2s: the connection is reset and the run fails.")]
    public override string? Timeout { get; set; }
}
