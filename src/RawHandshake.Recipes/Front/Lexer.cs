using System.Globalization;
using System.Text;

namespace RawHandshake.Recipes.Front;

/// <summary>
/// Splits a recipe into logical lines of tokens. <c>#</c> starts a comment (outside strings); a <c>\</c> at the end
/// of a line (before optional spaces or a comment) continues it on the next one; strings take C escapes.
/// </summary>
internal static class Lexer
{
    public static List<LogicalLine> Lex(string text, string file, List<RecipeDiagnostic> diagnostics)
    {
        var physical = SplitLines(text);
        var result = new List<LogicalLine>();
        List<Token>? tokens = null;
        List<string>? parts = null;
        RecipeDiagnostic? error = null;
        var startLine = 1;
        var continuing = false;

        for (var i = 0; i < physical.Count; i++)
        {
            var lineNo = i + 1;
            if (!continuing)
            {
                tokens = [];
                parts = [];
                error = null;
                startLine = lineNo;
            }

            var r = LexLine(physical[i], lineNo, file);
            tokens!.AddRange(r.Tokens);
            error ??= r.Error;
            if (r.Content.Length > 0)
            {
                parts!.Add(r.Content);
            }

            continuing = r.Continues;
            if (continuing && i == physical.Count - 1)
            {
                error ??= new RecipeDiagnostic(file, lineNo, r.ContinuationColumn, "'\\' at the end of the file: there is no next line to continue on");
                continuing = false;
            }

            if (!continuing && (tokens.Count > 0 || error is not null))
            {
                result.Add(new LogicalLine(startLine, string.Join(' ', parts!), tokens, error));
            }
        }

        foreach (var l in result)
        {
            if (l.Error is not null)
            {
                diagnostics.Add(l.Error);
            }
        }

        return result;
    }

    private static List<string> SplitLines(string text)
    {
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..]; // a byte-order mark is not part of line 1
        }

        var lines = new List<string>(text.Split('\n'));
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].EndsWith('\r'))
            {
                lines[i] = lines[i][..^1];
            }
        }

        return lines;
    }

    private readonly record struct LineResult(List<Token> Tokens, RecipeDiagnostic? Error, bool Continues, int ContinuationColumn, string Content);

    public static bool IsWordChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '+' or '$' or '|';

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\f' or '\v';

    private static LineResult LexLine(string s, int lineNo, string file)
    {
        var tokens = new List<Token>();
        var n = s.Length;
        var i = 0;
        var contentEnd = n;
        RecipeDiagnostic? Err(int at, string message) => new(file, lineNo, at + 1, message);

        while (i < n)
        {
            var c = s[i];
            if (IsSpace(c))
            {
                i++;
                continue;
            }

            if (c == '#')
            {
                contentEnd = i;
                break;
            }

            if (c == '\\')
            {
                var rest = s[(i + 1)..].TrimStart(' ', '\t', '\r', '\f', '\v');
                if (rest.Length == 0 || rest[0] == '#')
                {
                    return new LineResult(tokens, null, true, i + 1, s[..i].Trim());
                }

                return Fail(Err(i, "'\\' continues a line only at its end; inside strings write escapes such as \"\\n\""));
            }

            if (c == '"')
            {
                var (token, error, next) = LexString(s, i, lineNo, file);
                if (error is not null)
                {
                    return Fail(error);
                }

                tokens.Add(token!);
                i = next;
                continue;
            }

            if (c == '.' && i + 1 < n && s[i + 1] == '.')
            {
                tokens.Add(new Token(TokenKind.Punct, "..", lineNo, i + 1));
                i += 2;
                continue;
            }

            if (IsWordChar(c))
            {
                var start = i;
                while (i < n && IsWordChar(s[i]) && !(s[i] == '.' && i + 1 < n && s[i + 1] == '.'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Word, s[start..i], lineNo, start + 1));
                continue;
            }

            if (i + 1 < n && s[i + 1] == '=' && c is '<' or '>' or '!')
            {
                tokens.Add(new Token(TokenKind.Punct, s.Substring(i, 2), lineNo, i + 1));
                i += 2;
                continue;
            }

            if (c is '<' or '>' or ',' or ':' or '(' or ')' or '*' or '[' or ']' or '=' or '~')
            {
                tokens.Add(new Token(TokenKind.Punct, c.ToString(), lineNo, i + 1));
                i++;
                continue;
            }

            return Fail(Err(i, $"unexpected character '{ShowChar(c)}'"));
        }

        return new LineResult(tokens, null, false, 0, s[..contentEnd].Trim());

        LineResult Fail(RecipeDiagnostic? error)
        {
            // Keep the tokens before the error (the parser uses the first word to classify the line). A line that is
            // broken but ends in '\' still continues, so its continuation is not read as a step of its own.
            var trimmed = s.TrimEnd(' ', '\t', '\r', '\f', '\v');
            var continues = trimmed.EndsWith('\\') && !trimmed.Contains('#');
            var content = continues ? trimmed[..^1].Trim() : s.Trim();
            return new LineResult(tokens, error, continues, trimmed.Length, content);
        }
    }

    internal static string ShowChar(char c) =>
        c is >= ' ' and <= '~' ? c.ToString()
        : c >= 0x80 && char.IsLetterOrDigit(c) ? c.ToString()
        : c < 0x100 ? $"\\x{(int)c:x2}"
        : $"\\u{(int)c:x4}";

    private static (Token? Token, RecipeDiagnostic? Error, int Next) LexString(string s, int open, int lineNo, string file)
    {
        var bytes = new List<byte>();
        var i = open + 1;
        var n = s.Length;
        Span<byte> utf8 = stackalloc byte[4];
        while (i < n)
        {
            var c = s[i];
            if (c == '"')
            {
                return (new Token(TokenKind.String, s[open..(i + 1)], lineNo, open + 1, [.. bytes]), null, i + 1);
            }

            if (c == '\\')
            {
                if (i + 1 >= n)
                {
                    break; // a backslash before the end of the line: the string is not closed
                }

                var e = s[i + 1];
                switch (e)
                {
                    case 'r': bytes.Add((byte)'\r'); i += 2; continue;
                    case 'n': bytes.Add((byte)'\n'); i += 2; continue;
                    case 't': bytes.Add((byte)'\t'); i += 2; continue;
                    case '0': bytes.Add(0); i += 2; continue;
                    case '\\': bytes.Add((byte)'\\'); i += 2; continue;
                    case '"': bytes.Add((byte)'"'); i += 2; continue;
                    case 'x':
                        if (i + 3 < n && IsHex(s[i + 2]) && IsHex(s[i + 3]))
                        {
                            bytes.Add(byte.Parse(s.AsSpan(i + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                            i += 4;
                            continue;
                        }

                        var got = "\\x" + new string(s.AsSpan(i + 2, Math.Min(2, n - i - 2)).ToArray().TakeWhile(ch => ch != '"').ToArray());
                        return (null, new RecipeDiagnostic(file, lineNo, i + 1, $"bad escape '{Token.Show(got)}': \\x needs two hex digits (\\x41)"), n);
                    default:
                        return (null, new RecipeDiagnostic(file, lineNo, i + 1,
                            $"bad escape '\\{ShowChar(e)}' (use \\r \\n \\t \\0 \\\\ \\\" \\xHH)"), n);
                }
            }

            if (char.IsHighSurrogate(c) && i + 1 < n && char.IsLowSurrogate(s[i + 1]))
            {
                var len = Encoding.UTF8.GetBytes(s.AsSpan(i, 2), utf8);
                bytes.AddRange(utf8[..len]);
                i += 2;
                continue;
            }

            if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else
            {
                var len = Encoding.UTF8.GetBytes(s.AsSpan(i, 1), utf8);
                bytes.AddRange(utf8[..len]);
            }

            i++;
        }

        return (null, new RecipeDiagnostic(file, lineNo, open + 1, "unterminated string: add the closing '\"'"), n);
    }

    internal static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}
