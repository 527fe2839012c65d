using System.Globalization;

namespace RawHandshake.Recipes.Import;

/// <summary>What a packetdrill token is.</summary>
internal enum PdTokenKind
{
    /// <summary>A number: decimal or hex integer, or a float such as <c>.1</c> or <c>0.300</c>.</summary>
    Number,

    /// <summary>Letters, digits and <c>_</c>, starting with a letter or <c>_</c>.</summary>
    Word,

    /// <summary>A <c>"…"</c> string (the text between the quotes).</summary>
    String,

    /// <summary>A <c>`…`</c> shell command.</summary>
    Command,

    /// <summary>A <c>%{ … }%</c> Python block.</summary>
    Code,

    /// <summary>A command-line option at the top of a script: <c>--tolerance_usecs=10000</c> (the whole text).</summary>
    Option,

    /// <summary>One punctuation character, or <c>...</c>.</summary>
    Punct,

    End,
}

/// <summary>One token of a packetdrill script, with its 1-based line and column.</summary>
internal sealed record PdToken(PdTokenKind Kind, string Text, int Line, int Column)
{
    public bool Is(string punct) => Kind == PdTokenKind.Punct && Text == punct;

    public bool IsWord(string word) => Kind == PdTokenKind.Word && string.Equals(Text, word, StringComparison.Ordinal);

    public bool IsInteger => Kind == PdTokenKind.Number && !Text.Contains('.', StringComparison.Ordinal);

    /// <summary>The number's value (hex included); only for <see cref="PdTokenKind.Number"/>.</summary>
    public double Value => Text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || Text.StartsWith("-0x", StringComparison.OrdinalIgnoreCase)
        ? (Text[0] == '-' ? -1 : 1) * (double)long.Parse(Text.TrimStart('-')[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
        : double.Parse(Text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    /// <summary>How the token reads in a message: <c>'win'</c>, or "the end of the script".</summary>
    public string Shown => Kind == PdTokenKind.End ? "the end of the script" : $"'{Text}'";
}

/// <summary>
/// Splits packetdrill's script syntax into tokens: <c>//</c> and <c>/* */</c> comments are dropped; <c>%{ }%</c>
/// blocks, backquoted commands and <c>--option=value</c> lines are single tokens. Never throws: an unterminated
/// comment, string, command or code block is one diagnostic at its start.
/// </summary>
internal static class PacketdrillLexer
{
    public static List<PdToken> Lex(string text, Action<int, int, string> error)
    {
        var tokens = new List<PdToken>();
        int i = 0, line = 1, col = 1;

        void Advance(int n)
        {
            for (var k = 0; k < n && i < text.Length; k++, i++)
            {
                if (text[i] == '\n')
                {
                    line++;
                    col = 1;
                }
                else
                {
                    col++;
                }
            }
        }

        // Reads from i to the closing delimiter; false (and one diagnostic) when the script ends first.
        bool Delimited(string open, string close, PdTokenKind kind, string what)
        {
            var (l, c) = (line, col);
            var end = text.IndexOf(close, i + open.Length, StringComparison.Ordinal);
            if (end < 0)
            {
                error(l, c, $"unterminated {what}: add the closing '{close}'");
                Advance(text.Length - i);
                return false;
            }

            var inner = text[(i + open.Length)..end];
            Advance(end + close.Length - i);
            if (kind != PdTokenKind.End)
            {
                tokens.Add(new PdToken(kind, inner, l, c));
            }

            return true;
        }

        while (i < text.Length)
        {
            var ch = text[i];
            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            var (l, c) = (line, col);
            if (char.IsWhiteSpace(ch) || ch == '\uFEFF')
            {
                Advance(1);
            }
            else if (ch == '/' && next == '/')
            {
                var end = text.IndexOf('\n', i);
                Advance((end < 0 ? text.Length : end) - i);
            }
            else if (ch == '/' && next == '*')
            {
                Delimited("/*", "*/", PdTokenKind.End, "comment");
            }
            else if (ch == '%' && next == '{')
            {
                Delimited("%{", "}%", PdTokenKind.Code, "Python block");
            }
            else if (ch == '`')
            {
                Delimited("`", "`", PdTokenKind.Command, "shell command");
            }
            else if (ch == '"')
            {
                Delimited("\"", "\"", PdTokenKind.String, "string");
            }
            else if (ch == '-' && next == '-' && i + 2 < text.Length && char.IsAsciiLetter(text[i + 2]))
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    Advance(1);
                }

                tokens.Add(new PdToken(PdTokenKind.Option, text[start..i], l, c));
            }
            else if (char.IsAsciiDigit(ch) || (ch == '.' && char.IsAsciiDigit(next)) || (ch == '-' && (char.IsAsciiDigit(next) || (next == '.' && i + 2 < text.Length && char.IsAsciiDigit(text[i + 2])))))
            {
                var start = i;
                if (ch == '-')
                {
                    Advance(1);
                }

                if (i + 1 < text.Length && text[i] == '0' && text[i + 1] is 'x' or 'X')
                {
                    Advance(2);
                    while (i < text.Length && char.IsAsciiHexDigit(text[i]))
                    {
                        Advance(1);
                    }
                }
                else
                {
                    while (i < text.Length && char.IsAsciiDigit(text[i]))
                    {
                        Advance(1);
                    }

                    // A fraction needs a digit after the point: "0...0.1" is 0, "...", 0.1.
                    if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
                    {
                        Advance(1);
                        while (i < text.Length && char.IsAsciiDigit(text[i]))
                        {
                            Advance(1);
                        }
                    }
                }

                tokens.Add(new PdToken(PdTokenKind.Number, text[start..i], l, c));
            }
            else if (char.IsAsciiLetter(ch) || ch == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    Advance(1);
                }

                tokens.Add(new PdToken(PdTokenKind.Word, text[start..i], l, c));
            }
            else if (ch == '.' && next == '.' && i + 2 < text.Length && text[i + 2] == '.')
            {
                Advance(3);
                tokens.Add(new PdToken(PdTokenKind.Punct, "...", l, c));
            }
            else
            {
                Advance(1);
                tokens.Add(new PdToken(PdTokenKind.Punct, ch.ToString(), l, c));
            }
        }

        tokens.Add(new PdToken(PdTokenKind.End, "", line, col));
        return tokens;
    }
}
