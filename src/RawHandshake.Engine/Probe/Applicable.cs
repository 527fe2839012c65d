namespace RawHandshake.Engine.Probe;

/// <summary>
/// A field that one IP family has and the other has not — IPv4's DF bit and identification, IPv6's flow label — with its
/// value, or "not applicable". Not applicable is neither "absent" (an option the segment did not carry: a null) nor
/// zero: it is printed <c>n/a</c> and written as JSON null, never as a made-up 0 or false.
/// </summary>
public readonly record struct Applicable<T>
{
    private readonly T value;

    public Applicable(T value)
    {
        this.value = value;
        Applies = true;
    }

    /// <summary>The field does not exist in this family (also the default value).</summary>
    public static Applicable<T> NotApplicable => default;

    /// <summary>False when the field does not exist in the frame's family.</summary>
    public bool Applies { get; }

    /// <summary>The value; throws when the field does not apply (nobody reads a made-up value by mistake).</summary>
    public T Value => Applies ? value : throw new InvalidOperationException("the field does not exist in this IP family");

    public static implicit operator Applicable<T>(T value) => new(value);

    /// <summary><paramref name="format"/> of the value, or <c>n/a</c>.</summary>
    public string Format(Func<T, string> format)
    {
        ArgumentNullException.ThrowIfNull(format);
        return Applies ? format(value) : "n/a";
    }

    public override string ToString() => Applies ? value?.ToString() ?? "" : "n/a";
}
