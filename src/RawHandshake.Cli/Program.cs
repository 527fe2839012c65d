using RawHandshake.Link;

namespace RawHandshake.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // First thing, from the main thread in the process's own namespace: the one place signals are handled.
        Interrupts.Process.InstallSignalHandlers();
        return CliApp.Run(args, new CliContext(Console.Out, Console.Error, Console.In) { OutIsTerminal = !Console.IsOutputRedirected });
    }
}
