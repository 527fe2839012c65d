using System.Text;
using System.Text.Json;
using CommandLine;
using RawHandshake.Link;

namespace RawHandshake.Cli.Verbs;

[Verb("interfaces", HelpText = "List the capture devices with their addresses, like tcpdump -D.")]
public sealed class InterfacesOptions : ICommand
{
    [Option("netns", HelpText = "List the devices of this network namespace.")]
    public string? Netns { get; set; }

    [Option("json", HelpText = "One JSON object per device.")]
    public bool Json { get; set; }

    public int Execute(CliContext context)
    {
        if (NetnsExec.RunInside(Netns, context) is { } code)
        {
            return code;
        }

        var list = InterfaceList.List();
        foreach (var i in list)
        {
            if (Json)
            {
                using var ms = new MemoryStream();
                using (var w = new Utf8JsonWriter(ms))
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", i.Index);
                    w.WriteString("name", i.Name);
                    w.WriteString("flags", i.FlagsText);
                    w.WriteString("mac", i.Mac?.ToString());
                    w.WriteStartArray("ipv4");
                    foreach (var a in i.Addresses)
                    {
                        w.WriteStringValue($"{a.Address}/{a.PrefixLength}");
                    }

                    w.WriteEndArray();
                    if (i.Mtu is { } mtu)
                    {
                        w.WriteNumber("mtu", mtu);
                    }

                    w.WriteEndObject();
                }

                context.Out.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
                continue;
            }

            var addrs = string.Join(", ", i.Addresses.Select(a => $"{a.Address}/{a.PrefixLength}"));
            context.Out.WriteLine($"{i.Index}.{i.Name}{(i.Description is null ? "" : $" ({i.Description})")} [{i.FlagsText}]" +
                                  $"{(i.Mac is { } m ? $" {m}" : "")}{(addrs.Length > 0 ? $" {addrs}" : "")}{(i.Mtu is { } mt ? $" mtu {mt}" : "")}");
        }

        return ExitCodes.Ok;
    }
}
