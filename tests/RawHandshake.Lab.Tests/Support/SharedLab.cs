using RawHandshake.Lab.Topology;

namespace RawHandshake.Lab.Tests.Support;

/// <summary>One standard lab (all seven servers) for the checks that only look at it; always removed at the end.</summary>
public sealed class SharedLab : IDisposable
{
    public SharedLab()
    {
        Name = Names.Unique();
        try
        {
            Info = LabTopology.Up(Name, new LabUpOptions { ServeCommand = TestDll.ServeCommand, ReadyTimeout = TimeSpan.FromMinutes(2) });
        }
        catch
        {
            LabTopology.Down(Name);
            throw;
        }
    }

    public string Name { get; }

    public LabInfo Info { get; }

    public void Dispose()
    {
        LabTopology.Down(Name);
        Leftovers.ShouldBeNone(Name);
    }
}

[CollectionDefinition(Name)]
public sealed class SharedLabCollection : ICollectionFixture<SharedLab>
{
    public const string Name = "shared lab";
}
