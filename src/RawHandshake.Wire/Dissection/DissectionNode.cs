namespace RawHandshake.Wire.Dissection;

/// <summary>One line of a field tree: where its bytes are in the frame, and what it says (Wireshark's tree).</summary>
public sealed record DissectionNode(int Offset, int Length, string Text)
{
    public List<DissectionNode> Children { get; } = [];

    public DissectionNode Add(int offset, int length, string text)
    {
        var n = new DissectionNode(offset, length, text);
        Children.Add(n);
        return n;
    }

    /// <summary>A line about the whole parent, not about bytes of its own (Wireshark's [bracketed] lines).</summary>
    public DissectionNode Note(string text) => Add(-1, 0, "[" + text + "]");
}

/// <summary>A protocol layer: its title line, byte range and fields.</summary>
public sealed record DissectionLayer(string Key, int Offset, int Length, string Title)
{
    public DissectionNode Root { get; } = new(Offset, Length, Title);
}
