using CommandLine;

namespace RawHandshake.Cli.Verbs;

[Verb("import", HelpText = "Turn a server-side packetdrill script (FILE.pkt) into a recipe and the command of a server that does what its system calls do, so the script runs against any server.")]
public sealed partial class ImportOptions
{
    [Value(0, MetaName = "FILE", Required = true, HelpText = "The packetdrill script (.pkt).")]
    public string File { get; set; } = "";

    [Option('o', "output", HelpText = "Write the recipe to this file (default: stdout); stdout then says where it went and prints the server's command.")]
    public string? Output { get; set; }

    [Option("target", HelpText = "The server, IP:PORT: a 'target' line in the recipe, and the port the server listens on (default: the script's bind port, else 8080).")]
    public string? Target { get; set; }

    [Option("port", HelpText = "The server's port when no --target is given (default: the script's bind port, else packetdrill's 8080).")]
    public string? Port { get; set; }

    [Option("tolerance", HelpText = "The recipe's timing tolerance (option tolerance), e.g. 100ms; default the recipe's 50ms.")]
    public string? Tolerance { get; set; }
}
