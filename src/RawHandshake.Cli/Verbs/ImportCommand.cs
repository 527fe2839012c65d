using System.Globalization;
using System.Text;
using RawHandshake.Cli.Args;
using RawHandshake.Recipes;
using RawHandshake.Recipes.Import;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>import FILE.pkt</c>: the recipe on stdout (or in <c>-o FILE</c>), warnings and errors on stderr as
/// <c>file:line:col: …</c>; exit 2 on an error, with nothing written.</summary>
public sealed partial class ImportOptions : ICommand
{
    public int Execute(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Target is not null && Port is not null)
        {
            throw new UsageException("--port: not with --target (its port is the server's)");
        }

        string? address = null;
        int? port = null;
        if (Target is not null)
        {
            var (a, p) = LiveRun.Target(Target, "--target");
            (address, port) = (a.ToString(), p);
        }
        else if (Port is not null)
        {
            port = (int)ArgParse.Number(Port, "--port", 65535);
            if (port == 0)
            {
                throw new UsageException("--port: 0 is no port to listen on (1 to 65535)");
            }
        }

        var tolerance = Tolerance is null ? (TimeSpan?)null : ArgParse.Duration(Tolerance, "--tolerance");
        var text = Read(File);
        var result = PacketdrillImporter.Import(text, File, new ImportSettings { Address = address, Port = port, Tolerance = tolerance });
        foreach (var w in result.Warnings)
        {
            context.Err.WriteLine(w.ToString());
        }

        if (!result.Success)
        {
            foreach (var e in result.Errors)
            {
                context.Err.WriteLine(e.ToString());
            }

            return ExitCodes.Usage;
        }

        if (Output is null)
        {
            context.Out.Write(result.Recipe);
            return ExitCodes.Ok;
        }

        try
        {
            System.IO.File.WriteAllText(Output, result.Recipe, new UTF8Encoding(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new UsageException($"{Output}: cannot write the recipe ({e.Message.Split('\n')[0]})");
        }

        context.Out.WriteLine($"recipe: {Output}");
        context.Out.WriteLine($"server: {result.Server!.CommandLine}");
        return ExitCodes.Ok;
    }

    private static string Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var buffer = new byte[RecipeCompiler.MaxSourceBytes + 1];
            int length = 0, n;
            while (length < buffer.Length && (n = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += n;
            }

            if (length > RecipeCompiler.MaxSourceBytes)
            {
                throw new UsageException($"{path}: more than 1 MiB: not a packetdrill script");
            }

            if (Array.IndexOf(buffer, (byte)0, 0, length) >= 0)
            {
                throw new UsageException($"{path}: a NUL byte: not a text file");
            }

            var bom = length >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0;
            return new UTF8Encoding(false).GetString(buffer, bom, length - bom);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: cannot read the script ({e.Message.Split('\n')[0].ToString(CultureInfo.InvariantCulture)})");
        }
    }
}
