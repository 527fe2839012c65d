using RawHandshake.Cli;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Verbs;
using RawHandshake.Lab.Tests.Support;

namespace RawHandshake.Lab.Tests.Cli;

/// <summary>The lab verb's options class, called directly.</summary>
public sealed class LabOptionsTests
{
    private static (int Code, string Out) Run(LabOptions options)
    {
        var output = new StringWriter();
        var code = options.Execute(new CliContext(output, new StringWriter(), new StringReader("")));
        return (code, output.ToString());
    }

    [Theory]
    [InlineData("Lab")]
    [InlineData("lab_1")]
    [InlineData("")]
    [InlineData("toolongname")]
    [InlineData("rh-lab")]
    public void A_bad_name_is_one_exact_line(string name)
    {
        var e = Should.Throw<UsageException>(() => Run(new LabOptions { Action = LabAction.Up, Name = name }));
        e.Message.ShouldBe($"--name: '{name}' is not a lab name (1 to 8 characters a-z 0-9)");
    }

    [Fact]
    public void Ipv6_and_no_ipv6_together_are_one_exact_line()
    {
        var e = Should.Throw<UsageException>(() => Run(new LabOptions { Action = LabAction.Up, Name = Names.Unique(), Ipv6 = true, NoIpv6 = true }));
        e.Message.ShouldBe("--ipv6 and --no-ipv6: give one or the other (the lab is dual-stack by default)");
    }

    [Fact]
    public void Status_of_a_lab_that_does_not_exist_is_down_and_exits_1()
    {
        var name = Names.Unique();
        var (code, text) = Run(new LabOptions { Action = LabAction.Status, Name = name });
        code.ShouldBe(ExitCodes.Failed);
        text.ShouldBe($"lab {name}: down\n");
    }

    [Fact]
    public void Status_json_of_a_lab_that_does_not_exist()
    {
        var name = Names.Unique();
        var (_, text) = Run(new LabOptions { Action = LabAction.Status, Name = name, Json = true });
        using var doc = System.Text.Json.JsonDocument.Parse(text);
        doc.RootElement.GetProperty("name").GetString().ShouldBe(name);
        doc.RootElement.GetProperty("state").GetString().ShouldBe("down");
        doc.RootElement.GetProperty("namespaces").GetProperty("client").GetString().ShouldBe($"rh-{name}-cli");
        doc.RootElement.GetProperty("server").GetProperty("eth0").GetProperty("address").GetString().ShouldBe("198.18.2.10/24");
        text.Count(c => c == '\n').ShouldBe(1);
    }

    [Fact]
    public void Down_of_a_lab_that_does_not_exist_removes_nothing()
    {
        var name = Names.Unique();
        var (code, text) = Run(new LabOptions { Action = LabAction.Down, Name = name });
        code.ShouldBe(ExitCodes.Ok);
        text.ShouldBe($"lab {name}: down (nothing to remove)\n");
    }

    [Fact]
    public async Task Without_root_it_says_so_in_one_line()
    {
        if (!File.Exists("/usr/bin/setpriv"))
        {
            return; // nothing to drop privileges with on this machine
        }

        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", TestDll.Dotnet, TestDll.Path, "lab", "status"])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = "/tmp";
        psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        var text = await err;
        if (text.Contains("Permission denied", StringComparison.Ordinal) || text.Contains("cannot access", StringComparison.OrdinalIgnoreCase))
        {
            return; // the test output is not readable by nobody here: nothing to learn
        }

        text.ShouldBe("rawhandshake: lab status: needs root (it creates network namespaces); run it as root or with sudo\n");
        p.ExitCode.ShouldBe(ExitCodes.Usage);
    }
}
