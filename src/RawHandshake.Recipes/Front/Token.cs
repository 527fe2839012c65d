using System.Text;
using RawHandshake.Recipes.Syntax;

namespace RawHandshake.Recipes.Front;

internal enum TokenKind
{
    /// <summary>A run of letters, digits and <c>_ . - + $ |</c> (never containing <c>..</c>).</summary>
    Word,

    /// <summary>A double-quoted string; <see cref="Token.Bytes"/> holds its value.</summary>
    String,

    /// <summary><c>&lt; &gt; &lt;= &gt;= != , : ( ) * .. [ ]</c></summary>
    Punct,
}

/// <summary>One token: <see cref="Text"/> is the source spelling (a string with its quotes), at <see cref="Line"/>:<see cref="Column"/>.</summary>
internal sealed record Token(TokenKind Kind, string Text, int Line, int Column, byte[]? Bytes = null)
{
    public SourcePos Pos => new(Line, Column);

    /// <summary>The column just after the token.</summary>
    public int EndColumn => Column + Text.Length;

    public bool IsWord => Kind == TokenKind.Word;

    public bool Is(string word) => Kind == TokenKind.Word && Text.Equals(word, StringComparison.OrdinalIgnoreCase);

    public bool IsPunct(string p) => Kind == TokenKind.Punct && Text == p;

    /// <summary>True when <paramref name="next"/> follows this token with no space between them.</summary>
    public bool Touches(Token next) => next.Line == Line && next.Column == EndColumn;

    /// <summary>The token for an error message: printable, at most 40 characters.</summary>
    public string Shown => Show(Text);

    public static string Show(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (sb.Length >= 40)
            {
                sb.Append('…');
                break;
            }

            sb.Append(Lexer.ShowChar(c));
        }

        return sb.ToString();
    }
}

/// <summary>One step or header line: its tokens (continuations joined), its text for reports, and its first lexical error.</summary>
internal sealed record LogicalLine(int Line, string Text, IReadOnlyList<Token> Tokens, RecipeDiagnostic? Error);
