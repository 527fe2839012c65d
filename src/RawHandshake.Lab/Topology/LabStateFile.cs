using System.Text.Json;
using System.Text.Json.Serialization;

namespace RawHandshake.Lab.Topology;

/// <summary>What <c>lab up</c> records in <c>/run/rawhandshake/lab-NAME.json</c>, written before the first step and after
/// each server starts, so <c>lab down</c> finds everything even after a crash.</summary>
internal sealed class LabStateFile
{
    public int Version { get; set; } = 1;

    public string Name { get; set; } = "";

    public DateTimeOffset Created { get; set; }

    /// <summary>The process that ran <c>lab up</c>.</summary>
    public int CreatedBy { get; set; }

    /// <summary>Set once every step ran and every server listens.</summary>
    public bool Complete { get; set; }

    public List<string> Namespaces { get; set; } = [];

    /// <summary>The address plan, for people reading the file: "rh-lab-cli eth0" → "198.18.0.1/24".</summary>
    public Dictionary<string, string> Addresses { get; set; } = [];

    public List<string> ServeCommand { get; set; } = [];

    /// <summary>Whether the lab is dual-stack (<see cref="LabUpOptions.Ipv6"/>); false in files written before it was the default.</summary>
    public bool Ipv6 { get; set; }

    public List<ServerEntry> Servers { get; set; } = [];

    /// <summary>The second stack, when the lab has one: set before slirp4netns starts (with no PID yet), then again with
    /// its PID.</summary>
    public SlirpEntry? Slirp { get; set; }

    public sealed class SlirpEntry
    {
        /// <summary>The namespace slirp serves (tap0 lives there); slirp4netns itself runs in the server namespace.</summary>
        public string Namespace { get; set; } = "";

        public List<string> Command { get; set; } = [];

        public int Pid { get; set; }

        public long StartTime { get; set; }

        public string Log { get; set; } = "";
    }

    public sealed class ServerEntry
    {
        public string Mode { get; set; } = "";

        public int Port { get; set; }

        public string Label { get; set; } = "";

        public List<string> Arguments { get; set; } = [];

        public int Pid { get; set; }

        /// <summary>Field 22 of /proc/PID/stat when started: the PID is only ours while it still matches.</summary>
        public long StartTime { get; set; }

        public string Log { get; set; } = "";
    }

    public static LabStateFile? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), LabStateJson.Default.LabStateFile);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>Writes atomically (temporary file, then rename), so a reader never sees half a file.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, LabStateJson.Default.LabStateFile));
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>The state file's JSON, generated at compile time (no reflection: the CLI is published ahead-of-time).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LabStateFile))]
internal sealed partial class LabStateJson : JsonSerializerContext;
