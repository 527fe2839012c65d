using System.Diagnostics;
using System.Globalization;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>
/// Our frames written to pcap and pcapng and dissected by tshark (Wireshark 4.0 here), which checks both checksums and
/// reads every field back. tshark -T fields prints checksum status as 1 = good, 0 = bad, 2 = unverified.
/// </summary>
public class TsharkFrameCrossCheckTests
{
    private const string Tshark = "/usr/bin/tshark";

    private const string Fields =
        "-e frame.number -e ip.checksum.status -e tcp.checksum.status -e tcp.srcport -e tcp.dstport -e tcp.seq_raw " +
        "-e tcp.ack_raw -e tcp.flags -e tcp.window_size_value -e ip.ttl -e ip.id -e tcp.options.mss_val " +
        "-e tcp.options.wscale.shift -e tcp.len";

    private sealed record Case(TcpFrameSpec Spec, byte[] Frame, bool IpGood, bool TcpGood);

    private static List<Case> Cases()
    {
        // tshark reads IP options, so give it well-formed ones (NOPs + EOL); fragments would go to reassembly: no MF.
        var specs = FrameGens.Fixed(FrameGens.Frame(FrameGens.NopIpOptions, allowMoreFragments: false), 56, 4242);
        var cases = new List<Case>();
        for (var i = 0; i < specs.Length; i++)
        {
            var spec = specs[i];
            var good = spec.Build();
            // 50 good frames, then 6 with a wrong IP checksum, TCP checksum or both.
            var (ipGood, tcpGood) = i < 50 ? (true, true) : (i % 3) switch
            {
                0 => (false, true),
                1 => (true, false),
                _ => (false, false),
            };
            if (ipGood && tcpGood)
            {
                cases.Add(new Case(spec, good, true, true));
                continue;
            }

            var ipSum = (ushort)((good[spec.EthLength + 10] << 8) | good[spec.EthLength + 11]);
            var tcpSum = (ushort)((good[spec.TcpOffset + 16] << 8) | good[spec.TcpOffset + 17]);
            var frame = new byte[good.Length];
            FrameBuilder.BuildTcp(
                frame,
                spec.Ethernet,
                ipGood ? spec.Ip : spec.Ip with { Checksum = (ushort)(ipSum ^ 0x0101) },
                tcpGood ? spec.Tcp : spec.Tcp with { Checksum = (ushort)(tcpSum + 3) },
                spec.OptionBytes,
                spec.Payload);
            cases.Add(new Case(spec, frame, ipGood, tcpGood));
        }

        return cases;
    }

    private static string[] RunTshark(string path)
    {
        File.Exists(Tshark).ShouldBeTrue("tshark not installed (expected /usr/bin/tshark; apt-get install tshark)");
        var psi = new ProcessStartInfo(Tshark)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in $"-n -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -r {path} -T fields -E separator=, {Fields}".Split(' '))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = Path.GetTempPath(); // no user profile preferences
        using var p = Process.Start(psi).ShouldNotBeNull();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"tshark did not finish reading {path} within 60 s");
        }

        p.ExitCode.ShouldBe(0, stderr.Result);
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Theory]
    [InlineData("frames.pcap")]
    [InlineData("frames.pcapng")]
    public void Tshark_rates_checksums_and_reads_every_field_as_set(string name)
    {
        var cases = Cases();
        cases.Count(c => c.IpGood && c.TcpGood).ShouldBe(50);
        var dir = Directory.CreateTempSubdirectory("rawhandshake-tshark-");
        try
        {
            var path = Path.Combine(dir.FullName, name);
            using (var w = RawHandshake.Wire.Tests.Support.CaptureFilesOnDisk.Create(path))
            {
                var t = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
                foreach (var c in cases)
                {
                    w.Write(t, c.Frame);
                    t = t.AddMilliseconds(1);
                }
            }

            var lines = RunTshark(path);
            lines.Length.ShouldBe(cases.Count, string.Join('\n', lines.Take(5)));
            for (var i = 0; i < cases.Count; i++)
            {
                var (spec, _, ipGood, tcpGood) = cases[i];
                var v = lines[i].Split(',');
                var what = $"frame {i + 1} ({spec}): {lines[i]}";
                v.Length.ShouldBe(14, what);
                v[0].ShouldBe((i + 1).ToString(CultureInfo.InvariantCulture), what);
                v[1].ShouldBe(ipGood ? "1" : "0", "ip.checksum.status of " + what);
                v[2].ShouldBe(tcpGood ? "1" : "0", "tcp.checksum.status of " + what);
                v[3].ShouldBe(spec.SrcPort.ToString(CultureInfo.InvariantCulture), what);
                v[4].ShouldBe(spec.DstPort.ToString(CultureInfo.InvariantCulture), what);
                v[5].ShouldBe(spec.Seq.ToString(CultureInfo.InvariantCulture), what);
                v[6].ShouldBe(spec.Ack.ToString(CultureInfo.InvariantCulture), what);
                Convert.ToInt32(v[7], 16).ShouldBe((int)spec.Flags | (spec.TcpReserved << 9), what);
                v[8].ShouldBe(spec.Window.ToString(CultureInfo.InvariantCulture), what);
                v[9].ShouldBe(spec.Ttl.ToString(CultureInfo.InvariantCulture), what);
                Convert.ToInt32(v[10], 16).ShouldBe(spec.Id, what);
                v[11].ShouldBe(spec.Options.Mss?.ToString(CultureInfo.InvariantCulture) ?? string.Empty, what);
                v[12].ShouldBe(spec.Options.WindowScale?.ToString(CultureInfo.InvariantCulture) ?? string.Empty, what);
                v[13].ShouldBe(spec.Payload.Length.ToString(CultureInfo.InvariantCulture), what);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
