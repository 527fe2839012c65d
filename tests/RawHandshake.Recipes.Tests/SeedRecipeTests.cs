using RawHandshake.Recipes.Syntax;
using RawHandshake.Recipes.Tests.Support;
using RawHandshake.Session;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Tests;

/// <summary>The five seed scenarios compile, and their trees say what the articles say.</summary>
public class SeedRecipeTests
{
    public static TheoryData<string> Names => new(SeedRecipes.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_seed_compiles(string name)
    {
        var text = SeedRecipes.All.Single(s => s.Name == name).Text;
        var r = RecipeCompiler.Compile(text, name);
        r.Errors.ShouldBeEmpty(string.Join("\n", r.Errors));
        var recipe = r.Recipe.ShouldNotBeNull();
        recipe.File.ShouldBe(name);
        recipe.Header.Target.ShouldNotBeNull().Host.ShouldBe("198.18.2.10");
        recipe.Steps.ShouldNotBeEmpty();
        RecipePrinter.Print(recipe).ShouldStartWith($"recipe {name}\n");
    }

    [Fact]
    public void Python_echo_is_the_articles_exchange()
    {
        var recipe = Compiled.Ok(SeedRecipes.PythonEcho, "seed-python-echo.rh");
        recipe.Header.Target.ShouldBe(new TargetSpec("198.18.2.10", 20000, new SourcePos(2, 1)));
        recipe.Header.Defaults.Mss.ShouldBe((ushort)1460);
        recipe.Header.Defaults.SackPermitted.ShouldBe(true);
        recipe.Header.Defaults.WindowScale.ShouldBe((byte)7);
        recipe.Header.Defaults.Timestamps.ShouldBeNull();
        recipe.Header.Defaults.EffectiveTolerance.ShouldBe(TimeSpan.FromMilliseconds(50));

        var s = recipe.Steps;
        s.Count.ShouldBe(9);
        var syn = s[0].ShouldBeOfType<SendStep>();
        syn.Flags.ShouldBe(TcpFlags.Syn);
        syn.Seq.ShouldBe(NumberExpr.Literal(0));
        syn.Length.ShouldBe(0u);
        syn.Window.ShouldBe(NumberExpr.Literal(64240));
        syn.Options.ShouldNotBeNull().Select(o => o.Kind).ShouldBe([OptionKindName.Mss, OptionKindName.SackPermitted, OptionKindName.WindowScale]);
        syn.Text.ShouldBe("send   S 0:0(0) win 64240 <mss 1460, sackOK, wscale 7>");

        var synAck = s[1].ShouldBeOfType<ExpectStep>();
        synAck.Flags.Exact.ShouldBe(TcpFlags.Syn | TcpFlags.Ack);
        synAck.Ack.ShouldBe(Matcher.EqualTo(1));
        synAck.Within.ShouldBe(TimeSpan.FromSeconds(1));

        s[3].ShouldBeOfType<ExpectStateStep>().ShouldSatisfyAllConditions(
            x => x.Side.ShouldBe(Side.Client),
            x => x.State.ShouldBe(TcpState.Established));
        s[5].ShouldBeOfType<PushStep>().ShouldSatisfyAllConditions(
            x => x.Data.ShouldBe("AB"u8.ToArray()),
            x => x.ThenAck.ShouldBe(Matcher.EqualTo(4)),
            x => x.Pos.ShouldBe(new SourcePos(9, 1)));
        s[6].ShouldBeOfType<RecvStep>().Data.ShouldBe("AAB"u8.ToArray());
        s[7].ShouldBeOfType<CloseStep>();
        s[8].ShouldBeOfType<ExpectStateStep>().State.ShouldBe(TcpState.TimeWait);
    }

    [Fact]
    public void States_seed_uses_netstat_spellings_and_both_sides()
    {
        var states = Compiled.Ok(SeedRecipes.States).Steps.OfType<ExpectStateStep>().Select(x => (x.Side, x.State)).ToList();
        states.ShouldBe(
        [
            (Side.Client, TcpState.SynSent), (Side.Server, TcpState.SynReceived), (Side.Client, TcpState.Established),
            (Side.Server, TcpState.Established), (Side.Client, TcpState.FinWait1), (Side.Server, TcpState.LastAck),
            (Side.Client, TcpState.TimeWait),
        ]);
        Compiled.Ok(SeedRecipes.States).Header.Description.ShouldBe("TCP states through the handshake and the close (article 002)");
    }

    [Fact]
    public void C_echo_seed_pushes_hello_world()
    {
        var steps = Compiled.Ok(SeedRecipes.CEcho).Steps;
        steps[0].ShouldBeOfType<ConnectStep>().Options.ShouldBeNull();
        steps[1].ShouldBeOfType<PushStep>().Data.Length.ShouldBe(12);
        steps[3].ShouldBeOfType<SleepStep>().Duration.ShouldBe(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Http_seed_sends_the_windows_syn_and_a_get()
    {
        var recipe = Compiled.Ok(SeedRecipes.HttpSyn);
        recipe.Header.Defaults.Ttl.ShouldBe((byte)128);
        var syn = recipe.Steps[0].ShouldBeOfType<SendStep>();
        syn.Options.ShouldNotBeNull().Select(RecipePrinter.OptionText)
            .ShouldBe(["mss 1460", "nop", "wscale 8", "nop", "nop", "sackOK"]);
        syn.Fields.ShouldBe([new FieldOverride("df", 1, new SourcePos(4, 71))]);
        var get = recipe.Steps[3].ShouldBeOfType<PushStep>();
        get.Data.Length.ShouldBe(56);
        get.ThenAck.ShouldBe(Matcher.EqualTo(57));
        recipe.Steps[4].ShouldBeOfType<RecvStep>().Data.ShouldBe("HTTP/1.1 200 OK\r\n"u8.ToArray());
        recipe.Steps[5].ShouldBeOfType<WaitCloseStep>().Within.ShouldBe(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Closed_port_seed_expects_rst_ack_without_options()
    {
        var rst = Compiled.Step<ExpectStep>(SeedRecipes.ClosedPort, 1);
        rst.Flags.Exact.ShouldBe(TcpFlags.Rst | TcpFlags.Ack);
        rst.Options.ShouldNotBeNull().ShouldBeEmpty();
        rst.Window.ShouldBe(Matcher.EqualTo(0));
    }

    [Fact]
    public void Every_recipe_file_in_the_repository_compiles()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "recipes");
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.rh") : [];
        files.ShouldNotBeEmpty("recipes/*.rh are copied next to the tests");
        foreach (var file in files)
        {
            var r = RecipeCompiler.Compile(File.ReadAllText(file), Path.GetFileName(file));
            r.Errors.ShouldBeEmpty(string.Join("\n", r.Errors));
            r.Recipe.ShouldNotBeNull().Steps.ShouldNotBeEmpty();
        }
    }
}
