using System.Diagnostics;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>Without root or CAP_NET_RAW, live verbs refuse in one line before sending anything; offline verbs work.</summary>
[Trait("Category", "Live")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PrivilegeTests : IDisposable
{
    // The build output may sit where nobody cannot read it (a clone under /root): run a world-readable copy.
    private readonly string copy = CopyBuild();

    public void Dispose() => Directory.Delete(copy, recursive: true);

    private static string CopyBuild()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"rh-priv-{Guid.NewGuid():N}");
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(AppContext.BaseDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).Append(dir))
        {
            File.SetUnixFileMode(d, (UnixFileMode)0x1ED); // 0755
        }

        return dir;
    }

    private (int Code, string Out, string Err) AsNobody(params string[] args)
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "dotnet", Path.Combine(copy, "rawhandshake.dll"), .. args])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = Path.GetTempPath();
        psi.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException("rawhandshake as nobody hung");
        }

        p.WaitForExit();
        return (p.ExitCode, o.Result, e.Result);
    }

    [Fact]
    public void LiveVerbsRefuseWithoutPrivilege()
    {
        var r = AsNobody("handshake", "--target", "198.18.2.10:20000");
        r.Code.ShouldBe(2, r.Err);
        r.Err.Trim().ShouldBe("rawhandshake: 'handshake' puts frames on the wire: run it as root or with CAP_NET_RAW");
        var recipe = Path.Combine(copy, "p.rh");
        File.WriteAllText(recipe, "target 198.18.2.10:20000\nconnect\n");
        var run = AsNobody("run", recipe);
        run.Code.ShouldBe(2, run.Err);
        run.Err.Trim().ShouldBe("rawhandshake: 'run' puts frames on the wire: run it as root or with CAP_NET_RAW");
        var lab = AsNobody("lab", "up", "--name", "zz");
        lab.Code.ShouldBe(2, lab.Err);
        lab.Err.Trim().Split('\n').Length.ShouldBe(1);
    }

    [Fact]
    public void ExerciseRunAndDoctorWithoutPrivilege()
    {
        // A world-readable copy of the exercises, beside the build's (the clone may sit where nobody cannot read it).
        var dir = Path.Combine(copy, "exercises");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ED); // 0755
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RecipeTests.RecipesDir, "exercises")))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        var r = AsNobody("exercise", "run", "seq-ack", "--dir", dir);
        r.Code.ShouldBe(2, r.Err);
        r.Err.Trim().ShouldBe("rawhandshake: exercise: run enters the lab's namespaces and puts frames on the wire: run it as root (./run-as-root.sh exercise run …)");
        AsNobody("exercise", "list", "--dir", dir).Code.ShouldBe(0);
        AsNobody("exercise", "list").Err.Trim().ShouldBe("rawhandshake: exercise: no folder recipes/exercises here or above the program (give --dir DIR)", "the copy of the build lies outside the repository");
        var doctor = AsNobody("doctor");
        doctor.Code.ShouldBe(1, doctor.Err);
        doctor.Out.ShouldContain("CAP_NET_RAW no, CAP_NET_ADMIN no: cannot capture or send");
        doctor.Out.ShouldContain("labs cannot be checked without root");
    }

    [Fact]
    public void OfflineVerbsNeedNoPrivilege()
    {
        var r = AsNobody("craft", "--flags", "SA", "--hex-only");
        r.Code.ShouldBe(0, r.Err);
        r.Out.Trim().Length.ShouldBe(108);
    }
}
