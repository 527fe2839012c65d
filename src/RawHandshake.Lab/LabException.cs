namespace RawHandshake.Lab;

/// <summary>A lab or server failure whose message is one line a user can act on, e.g. <c>port 20000 is in use on 0.0.0.0</c>.</summary>
public sealed class LabException(string message) : Exception(message);
