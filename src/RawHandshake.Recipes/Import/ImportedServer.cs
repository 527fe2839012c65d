using System.Globalization;

namespace RawHandshake.Recipes.Import;

/// <summary>
/// What the server under test must do, as the script's system calls say: the port and listen backlog, and the steps
/// of <c>serve script --actions</c> (the lab's script-driven server), such as
/// <c>accept; sleep 100ms; write 1000; read 1000; shutdown write; close</c>.
/// </summary>
/// <param name="Port">The port it listens on (packetdrill's default is 8080).</param>
/// <param name="Backlog">listen()'s backlog.</param>
/// <param name="Steps">One step each: <c>rcvbuf N</c>, <c>sndbuf N</c>, <c>nodelay</c>, <c>linger N</c> (socket options;
/// before <c>accept</c> they are set on the listener), <c>accept</c>, <c>sleep D</c>, <c>write N</c>, <c>read N</c>,
/// <c>read eof</c>, <c>shutdown write|read|both</c>, <c>close</c>.</param>
public sealed record ImportedServer(int Port, int Backlog, IReadOnlyList<string> Steps)
{
    /// <summary>The steps as <c>--actions</c> takes them: <c>accept; write 1000; close</c>.</summary>
    public string Actions => string.Join("; ", Steps);

    /// <summary>The arguments after <c>rawhandshake serve</c>.</summary>
    public IReadOnlyList<string> ServeArguments =>
        ["script", "--port", Port.ToString(CultureInfo.InvariantCulture), "--backlog", Backlog.ToString(CultureInfo.InvariantCulture), "--actions", Actions];

    /// <summary>The whole command, quoted for a POSIX shell.</summary>
    public string CommandLine => "rawhandshake serve " + string.Join(' ', ServeArguments.Select(Quote));

    private static string Quote(string s) =>
        s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':') ? s : "\"" + s + "\"";
}
