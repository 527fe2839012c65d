namespace RawHandshake.Cli.Verbs;

/// <summary>A verb's options that can run themselves.</summary>
public interface ICommand
{
    int Execute(CliContext context);
}
