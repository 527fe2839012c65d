using System.Text;

namespace RawHandshake.Lab.Servers;

/// <summary>The minimal HTTP/1.x answer: 200 with a small page for <c>/</c> and <c>/index.html</c>, 404 for other paths,
/// 400 for a malformed request line, 501 for methods other than GET and HEAD. Always <c>Connection: close</c>.</summary>
public static class HttpResponder
{
    public const string Page =
        "<!DOCTYPE html>\n<html><head><title>RawHandshake lab</title></head>\n" +
        "<body><h1>RawHandshake</h1><p>Served by <code>rawhandshake serve http</code> from a real kernel TCP socket.</p></body></html>\n";

    public const string NotFoundPage =
        "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n" +
        "<body><h1>Not Found</h1><p>RawHandshake serves only / and /index.html.</p></body></html>\n";

    /// <summary>The maximum request head read before answering 431.</summary>
    public const int MaxHead = 16 * 1024;

    /// <summary>Index just past the blank line ending the head (CR LF CR LF, or LF LF), or -1.</summary>
    public static int HeadEnd(ReadOnlySpan<byte> data)
    {
        var crlf = data.IndexOf("\r\n\r\n"u8);
        var lf = data.IndexOf("\n\n"u8);
        var ends = new[] { crlf < 0 ? int.MaxValue : crlf + 4, lf < 0 ? int.MaxValue : lf + 2 };
        var end = Math.Min(ends[0], ends[1]);
        return end == int.MaxValue ? -1 : end;
    }

    /// <summary>The whole response (head and body) to a request head, and its status code.</summary>
    public static (int Status, byte[] Response) Respond(ReadOnlySpan<byte> head)
    {
        var text = Encoding.Latin1.GetString(head);
        var firstLine = text.Split('\n')[0].TrimEnd('\r');
        var parts = firstLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return Build(400, "Bad Request", "bad request\n", "text/plain", withBody: true);
        }

        var (method, target) = (parts[0], parts[1]);
        var isHead = method == "HEAD";
        if (method != "GET" && !isHead)
        {
            return Build(501, "Not Implemented", "only GET and HEAD\n", "text/plain", withBody: true);
        }

        var path = target.Split('?', 2)[0];
        if (Uri.TryCreate(target, UriKind.Absolute, out var absolute) && absolute.Scheme is "http")
        {
            path = absolute.AbsolutePath;
        }

        return path is "/" or "/index.html"
            ? Build(200, "OK", Page, "text/html; charset=utf-8", !isHead)
            : Build(404, "Not Found", NotFoundPage, "text/html; charset=utf-8", !isHead);
    }

    /// <summary>The answer to a head larger than <see cref="MaxHead"/>.</summary>
    public static byte[] TooLarge() => Build(431, "Request Header Fields Too Large", "request head too large\n", "text/plain", withBody: true).Response;

    private static (int Status, byte[] Response) Build(int status, string reason, string body, string contentType, bool withBody)
    {
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status} {reason}\r\n" +
                   "Server: rawhandshake\r\n" +
                   $"Content-Type: {contentType}\r\n" +
                   $"Content-Length: {bodyBytes.Length}\r\n" +
                   "Connection: close\r\n\r\n";
        var headBytes = Encoding.ASCII.GetBytes(head);
        return (status, withBody ? [.. headBytes, .. bodyBytes] : headBytes);
    }
}
