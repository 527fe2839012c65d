using System.Text;
using CsCheck;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Recipes.Tests.Support;

namespace RawHandshake.Recipes.Tests;

/// <summary>
/// Hostile input: mutated valid recipes, truncation at every point, random characters. The compiler never throws and
/// always answers with either a recipe or errors whose positions are inside the text. Fixed seeds: failures reproduce.
/// </summary>
public class FuzzTests
{
    private static readonly string[] Corpus =
    [
        .. SeedRecipes.All.Select(s => s.Text),
        """
        target 198.18.2.10:20000
        options mss 1460, sackok, wscale 7, timestamps, window 64240, rto 200ms, retries 3, time-wait 1s, timeout 10s
        options ttl 64, sport 40000, isn 0xdeadbeef, tolerance 20ms
        description "every \"construct\" \x41\t\0"
        send S raw:1000 win 64240 <mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7, eol>
        expect S. 0:0(0) ack 1 win >=1000 <mss *, wscale <=14, sackOK, TS val * ecr 0, sack *:>=5, kind 30 hex 01> ttl 60..64 df tcp.checksum offload within 1s
        send . 1:1(0) ack $srv.isn+1 win $srv.win <sack 1:2, kind 30 hex 0102> ttl 3 tos 0x10 ip.id 7 nodf urg 1 data-offset 6 ihl 5 reserved 1 ip.len 40 ip.checksum 1 tcp.checksum 2
        send P. 1:3(2) "AB" \
            ttl 64
        expect . * ack !=0 win 1..65535 <> ip.id * urg <5 data-offset >4 tos *
        expect P. $snd.nxt:$snd.nxt+2 hex 41 42 within 2m
        push hex 41 42 then ack >=3
        recv 3 bytes within 500us
        expect nothing within 200ms
        expect icmp unreachable code 3 within 1s
        expect state ESTAB
        expect server-state close_wait
        window 0
        sleep 1.5s
        echo "note # not a comment"
        wait-close within 5s
        connect <mss 536>
        abort
        expect rst within 1s
        """,
    ];

    private const string Punctuation = "\"\\#<>:()*.,$+-|![]=\n\r\t\0 ";

    private static readonly string[] Vocabulary =
    [
        "send", "expect", "connect", "push", "recv", "close", "wait-close", "abort", "sleep", "window", "echo", "target",
        "option", "options", "description", "nothing", "rst", "icmp", "state", "server-state", "within", "then", "ack",
        "win", "hex", "bytes", "raw:", "$srv.isn", "$snd.nxt+1", "$bogus", "S", "S.", "P.", "F.", "R.", ".", "*", "<", ">",
        "<>", "<=", ">=", "!=", "..", ":", "(", ")", ",", "\"", "\"x\"", "\\", "#", "0:0(0)", "1:3(2)", "mss", "wscale",
        "sackOK", "TS", "val", "ecr", "sack", "nop", "eol", "kind", "ttl", "df", "nodf", "tcp.checksum", "good", "0",
        "65535", "65536", "4294967296", "99999999999999999999999", "0x", "0xffffffff", "1s", "0ms", "1.5s", "11m", "ESTABLISHED",
        "\n", "\r\n", "\t", "\\\n", "[", "]", "syn,ack", "+", "|", "é", "\uFEFF", "\0", "\uD800",
    ];

    /// <summary>Compiles and checks the contract; returns true when a recipe came back.</summary>
    private static bool CompileAndCheck(string text)
    {
        RecipeCompileResult r;
        try
        {
            r = RecipeCompiler.Compile(text, "fuzz.rh");
        }
        catch (Exception e)
        {
            throw new ShouldAssertException($"Compile threw {e.GetType().Name} on:\n{Show(text)}", e);
        }

        var lines = text.Split('\n');
        if (r.Recipe is { } recipe)
        {
            r.Errors.ShouldBeEmpty();
            RecipePrinter.Print(recipe).ShouldNotBeNullOrEmpty();
            foreach (var step in recipe.Steps)
            {
                CheckInside(step.Pos.Line, step.Pos.Column, lines, text);
                step.Text.ShouldNotBeNullOrWhiteSpace();
            }

            return true;
        }

        r.Errors.ShouldNotBeEmpty(Show(text));
        foreach (var e in r.Errors)
        {
            e.File.ShouldBe("fuzz.rh");
            e.Message.ShouldNotContain("internal error", customMessage: Show(text));
            e.Message.ShouldNotBeNullOrWhiteSpace();
            e.ToString().ShouldStartWith($"fuzz.rh:{e.Line}:{e.Column}: ");
            CheckInside(e.Line, e.Column, lines, text);
        }

        return false;
    }

    private static void CheckInside(int line, int column, string[] lines, string text)
    {
        line.ShouldBeInRange(1, Math.Max(1, lines.Length), Show(text));
        var length = lines.Length == 0 ? 0 : lines[line - 1].TrimEnd('\r').Length;
        column.ShouldBeInRange(1, length + 1, $"line {line}: {Show(text)}");
    }

    private static string Show(string text) =>
        text.Length > 400 ? text[..400] + "…" : text.Replace("\r", "\\r", StringComparison.Ordinal);

    private static string Mutate(string text, Random rng)
    {
        var sb = new StringBuilder(text);
        var n = rng.Next(1, 5);
        for (var k = 0; k < n; k++)
        {
            var at = sb.Length == 0 ? 0 : rng.Next(sb.Length);
            switch (rng.Next(9))
            {
                case 0 when sb.Length > 0: // delete a character
                    sb.Remove(at, 1);
                    break;
                case 1: // insert a random character (any UTF-16 unit, surrogates included)
                    sb.Insert(at, (char)rng.Next(0, 0x10000));
                    break;
                case 2: // insert an ASCII punctuation or control character
                    sb.Insert(at, Punctuation[rng.Next(Punctuation.Length)]);
                    break;
                case 3 when sb.Length > 0: // duplicate a run
                    var len = rng.Next(1, Math.Min(20, sb.Length - at) + 1);
                    sb.Insert(at, sb.ToString(at, len));
                    break;
                case 4: // insert a token
                    sb.Insert(at, " " + Vocabulary[rng.Next(Vocabulary.Length)] + " ");
                    break;
                case 5: // delete a token (a run up to the next space)
                    var end = sb.ToString().IndexOf(' ', at);
                    sb.Remove(at, (end < 0 ? sb.Length : end) - at);
                    break;
                case 6: // duplicate or drop a whole line
                    var lines = sb.ToString().Split('\n').ToList();
                    var i = rng.Next(lines.Count);
                    if (rng.Next(2) == 0)
                    {
                        lines.Insert(i, lines[i]);
                    }
                    else
                    {
                        lines.RemoveAt(i);
                    }

                    sb.Clear().Append(string.Join('\n', lines));
                    break;
                case 7: // truncate
                    sb.Length = at;
                    break;
                default: // replace a character with a random byte value
                    if (sb.Length > 0)
                    {
                        sb[at] = (char)rng.Next(0, 256);
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    [Fact]
    public void The_corpus_itself_compiles()
    {
        foreach (var text in Corpus)
        {
            CompileAndCheck(text).ShouldBeTrue(Show(text));
        }
    }

    [Fact]
    public void Mutated_recipes_never_throw_and_errors_point_inside_the_text()
    {
        var rng = new Random(20261123);
        var ok = 0;
        for (var iteration = 0; iteration < 4000; iteration++)
        {
            var text = Mutate(Corpus[rng.Next(Corpus.Length)], rng);
            if (CompileAndCheck(text))
            {
                ok++;
            }
        }

        // Both outcomes occur: the mutations are neither all harmless nor all fatal.
        ok.ShouldBeGreaterThan(50);
        ok.ShouldBeLessThan(3950);
    }

    [Fact]
    public void Truncation_at_every_point()
    {
        foreach (var text in Corpus)
        {
            for (var i = 0; i <= text.Length; i++)
            {
                CompileAndCheck(text[..i]);
            }
        }
    }

    [Fact]
    public void Every_line_alone_and_every_line_removed()
    {
        foreach (var text in Corpus)
        {
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                CompileAndCheck(lines[i]);
                CompileAndCheck(string.Join('\n', lines.Where((_, k) => k != i)));
            }
        }
    }

    [Fact]
    public void Random_characters()
    {
        var rng = new Random(7);
        for (var iteration = 0; iteration < 2000; iteration++)
        {
            var chars = new char[rng.Next(0, 200)];
            var ascii = rng.Next(2) == 0;
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = ascii ? (char)rng.Next(0, 128) : (char)rng.Next(0, 0x10000);
            }

            CompileAndCheck(new string(chars));
        }
    }

    [Fact]
    public void Random_token_soup()
    {
        // CsCheck: lines of vocabulary words; shrinks to a small failing line if one ever throws.
        var line = Gen.Int[0, Vocabulary.Length - 1].Array[0, 12].Select(ix => string.Join(' ', ix.Select(i => Vocabulary[i])));
        line.Array[1, 6].Select(ls => string.Join('\n', ls)).Sample(text => CompileAndCheck(text) || true,
            iter: 3000, seed: "0N0XIzNsQ0O2", print: Show);
    }

    [Fact]
    public void Null_and_odd_arguments_do_not_throw()
    {
        var r = RecipeCompiler.Compile(null!, null!);
        r.Recipe.ShouldBeNull();
        r.Errors.Single().ToString().ShouldBe("<recipe>:1:1: the recipe has no steps (start with connect, or send S)");
        RecipeCompiler.Compile("connect", "").Success.ShouldBeTrue();
        RecipeCompiler.Compile(new string('\n', 10000) + "connect", "x").Recipe!.Steps[0].Pos.ShouldBe(new SourcePos(10001, 1));
        RecipeCompiler.Compile("echo \"" + new string('x', 100_000) + "\"", "x").Success.ShouldBeTrue();
        RecipeCompiler.Compile(string.Concat(Enumerable.Repeat("connect\nabort\n", 2000)), "x").Recipe!.Steps.Count.ShouldBe(4000);
    }
}
