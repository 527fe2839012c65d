using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace RawHandshake.Link;

/// <summary>
/// One long-lived <c>nft -i</c> process that takes commands on its standard input, one line each, and runs each line as
/// a transaction of its own: a thousand guarded flows cost a few pipe writes, not a thousand process starts.
/// </summary>
/// <remarks>
/// <para>nft answers nothing when a command succeeds and prints an error block (<c>Error: …</c>, the command, a caret
/// line) when it fails, on stderr; the child runs as <c>sh -c 'exec nft -i 2&gt;&amp;1'</c> so both arrive on one pipe
/// in the order nft wrote them, with SIGINT, SIGTERM and SIGHUP ignored (a signal to the process group or tree must
/// not end it before the table is removed through it). To know a batch is done, each batch ends with a sync command given by the caller whose
/// listing ends with a line <c>}</c> at column 0 (e.g. <c>list chain inet T sync</c> of an empty chain): the errors
/// seen before it belong to the batch.</para>
/// <para>The child lives in the network namespace of the thread that called <see cref="Start"/>. If this process dies,
/// nft reads end-of-file and exits: no nft process outlives us.</para>
/// </remarks>
internal sealed class NftShell : IDisposable
{
    private const string ErrorPrefix = "Error:";
    private readonly Process process;
    private readonly BlockingCollection<string> lines = new();
    private readonly object gate = new();
    private bool closed;

    private NftShell(Process process)
    {
        this.process = process;
        var reader = new Thread(Read) { IsBackground = true, Name = "nft -i output" };
        reader.Start();
    }

    /// <summary>The child's PID (for tests).</summary>
    public int Pid => process.Id;

    public bool HasExited
    {
        get
        {
            try
            {
                return process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>Starts <c>nft -i</c> in the calling thread's network namespace.</summary>
    public static NftShell Start()
    {
        var exe = Nft.FindExecutable() ?? throw new LinkException(LinkErrors.NftMissing);
        // SIGINT, SIGTERM and SIGHUP ignored (kept across exec): a Ctrl-C to the terminal's process group or a signal to
        // our process tree must not end nft before we have removed the table through it. It ends at end-of-file.
        return new NftShell(Nft.Start("/bin/sh", ["-c", "trap '' INT TERM HUP; exec \"$0\" -i 2>&1", exe], stdin: true, stderr: false));
    }

    /// <summary>
    /// Writes <paramref name="commands"/> (one line each) and then <paramref name="sync"/>, and waits until the sync
    /// command's listing has come back. Errors of the batch come back as a failed <see cref="NftResult"/>; what the
    /// commands listed (e.g. <c>list tables</c>), with the sync command's listing at its end, as its output.
    /// </summary>
    /// <exception cref="LinkException">nft is gone, or did not answer within <paramref name="timeout"/> (it is then ended).</exception>
    public NftResult Run(IEnumerable<string> commands, string sync, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentException.ThrowIfNullOrEmpty(sync);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(closed, this);
            var input = new StringBuilder();
            foreach (var c in commands)
            {
                if (c.Contains('\n', StringComparison.Ordinal))
                {
                    throw new ArgumentException("one nft command per line", nameof(commands));
                }

                input.Append(c).Append('\n');
            }

            input.Append(sync).Append('\n');
            Write(input.ToString());
            var errors = new StringBuilder();
            var output = new StringBuilder();
            var inError = false;
            var limit = timeout ?? Nft.DefaultTimeout;
            var watch = Stopwatch.StartNew();
            while (true)
            {
                var left = limit - watch.Elapsed;
                if (left <= TimeSpan.Zero || !lines.TryTake(out var line, left))
                {
                    if (lines.IsCompleted)
                    {
                        throw new LinkException($"nft ended unexpectedly{(errors.Length > 0 ? ": " + FirstLine(errors) : "")}");
                    }

                    Kill();
                    throw new LinkException($"nft did not answer within {limit.TotalSeconds:0} s");
                }

                if (line.StartsWith(ErrorPrefix, StringComparison.Ordinal))
                {
                    inError = true;
                    errors.Append(line).Append('\n');
                    continue;
                }

                if (inError && line == sync)
                {
                    // the sync command failed itself: its error block is the last thing of the batch
                    DrainCaretLine();
                    return new NftResult(1, string.Empty, errors.ToString());
                }

                if (line == "}")
                {
                    return new NftResult(errors.Length == 0 ? 0 : 1, output.ToString(), errors.ToString());
                }

                (inError ? errors : output).Append(line).Append('\n');
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="lastCommand"/> (if any), closes nft's input and waits for it to exit; returns the errors
    /// it printed meanwhile. Ok only when nft took the command, printed no error and exited with 0. Never throws; a nft
    /// that does not exit in time is killed.
    /// </summary>
    public NftResult Close(string? lastCommand, TimeSpan? timeout = null)
    {
        lock (gate)
        {
            if (closed)
            {
                return new NftResult(0, string.Empty, string.Empty);
            }

            closed = true;
            string? lost = null;
            try
            {
                if (lastCommand is not null)
                {
                    process.StandardInput.Write(lastCommand + "\n");
                }

                process.StandardInput.Close();
            }
            catch (IOException e)
            {
                lost = $"nft ended before it took the command ({e.Message})"; // what it printed is below
            }

            var limit = timeout ?? Nft.DefaultTimeout;
            if (!process.WaitForExit(limit))
            {
                Kill();
                return new NftResult(-1, string.Empty, $"nft did not exit within {limit.TotalSeconds:0} s");
            }

            var errors = new StringBuilder();
            while (lines.TryTake(out var line, TimeSpan.FromSeconds(2)))
            {
                errors.Append(line).Append('\n');
            }

            var text = errors.ToString();
            if (text.Contains(ErrorPrefix, StringComparison.Ordinal))
            {
                return new NftResult(1, string.Empty, text[text.IndexOf(ErrorPrefix, StringComparison.Ordinal)..]);
            }

            if (lost is not null || process.ExitCode != 0)
            {
                return new NftResult(process.ExitCode == 0 ? 1 : process.ExitCode, string.Empty, lost ?? $"nft exit code {process.ExitCode}");
            }

            return new NftResult(0, string.Empty, string.Empty);
        }
    }

    public void Dispose()
    {
        Close(null);
        process.Dispose();
    }

    private static string FirstLine(StringBuilder sb) => sb.ToString().Split('\n')[0];

    private void Write(string text)
    {
        try
        {
            process.StandardInput.Write(text);
            process.StandardInput.Flush();
        }
        catch (IOException e)
        {
            throw new LinkException($"nft ended unexpectedly ({e.Message})");
        }
    }

    private void DrainCaretLine() => lines.TryTake(out _, TimeSpan.FromSeconds(1));

    private void Kill()
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void Read()
    {
        try
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                lines.Add(line);
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            lines.CompleteAdding();
        }
    }
}
