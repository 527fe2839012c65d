using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RawHandshake.Lab.Topology;

/// <summary>A lab for people (<see cref="Describe"/>) and for programs (<see cref="ToJson"/>).</summary>
public static class LabText
{
    /// <summary>The lab's state, address plan and servers, a few lines.</summary>
    public static string Describe(LabInfo lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var b = new StringBuilder();
        var state = lab.State switch
        {
            LabState.Up when lab.AlreadyUp => "up (already)",
            LabState.Up => "up",
            LabState.Down => "down",
            _ => "broken",
        };
        b.Append(CultureInfo.InvariantCulture, $"lab {lab.Name}: {state}\n");
        if (lab.Repaired.Count > 0)
        {
            b.Append(CultureInfo.InvariantCulture, $"  re-created; it was broken: {string.Join("; ", lab.Repaired)}\n");
        }

        foreach (var p in lab.Problems)
        {
            b.Append(CultureInfo.InvariantCulture, $"  problem: {p}\n");
        }

        if (lab.State == LabState.Down)
        {
            return b.ToString();
        }

        var len = LabPlan.PrefixLength;
        b.Append(CultureInfo.InvariantCulture, $"  client  {lab.ClientNamespace,-14} eth0 {lab.ClientAddress}/{len} (default via {lab.RouterClientSideAddress})   eth1 {lab.ClientOnLinkAddress}/{len} (on-link to the server)\n");
        b.Append(CultureInfo.InvariantCulture, $"  router  {lab.RouterNamespace,-14} eth0 {lab.RouterClientSideAddress}/{len}   eth1 {lab.RouterServerSideAddress}/{len}   (forwarding)\n");
        b.Append(CultureInfo.InvariantCulture, $"  server  {lab.ServerNamespace,-14} eth0 {lab.ServerAddress}/{len} (default via {lab.RouterServerSideAddress})   eth1 {lab.ServerOnLinkAddress}/{len}\n");
        if (lab.Ipv6)
        {
            var len6 = LabPlan.PrefixLength6;
            b.Append(CultureInfo.InvariantCulture, $"  ipv6    client eth0 {LabPlan.ClientAddress6}/{len6} (default via {LabPlan.RouterClientSideAddress6})   eth1 {LabPlan.ClientOnLinkAddress6}/{len6}\n");
            b.Append(CultureInfo.InvariantCulture, $"          router eth0 {LabPlan.RouterClientSideAddress6}/{len6}   eth1 {LabPlan.RouterServerSideAddress6}/{len6}\n");
            b.Append(CultureInfo.InvariantCulture, $"          server eth0 {LabPlan.ServerAddress6}/{len6} (default via {LabPlan.RouterServerSideAddress6})   eth1 {LabPlan.ServerOnLinkAddress6}/{len6}\n");
        }

        if (lab.Slirp is { } slirp)
        {
            var health = slirp.Running ? slirp.Configured ? "running" : $"RUNNING, {LabPlan.SlirpDevice} NOT UP" : "NOT RUNNING";
            b.Append(CultureInfo.InvariantCulture, $"  slirp   {lab.SlirpNamespace,-14} {LabPlan.SlirpDevice} {lab.SlirpClientAddress}/{len}   gateway {lab.SlirpGatewayAddress}: slirp4netns (pid {slirp.Pid}, in {lab.ServerNamespace}) {health}\n");
            b.Append(CultureInfo.InvariantCulture, $"          the second TCP stack (BSD-derived, no SACK/WS/TS): {lab.SlirpGatewayAddress}:PORT relays to the servers' PORT\n");
        }

        if (lab.Servers.Count > 0)
        {
            var viaSlirp = lab.Slirp is null ? "" : $", {lab.SlirpGatewayAddress} (slirp, from {lab.SlirpNamespace})";
            var six = lab.Ipv6 ? $", [{LabPlan.ServerAddress6}] (routed), [{LabPlan.ServerOnLinkAddress6}] (on-link)" : "";
            b.Append(CultureInfo.InvariantCulture, $"  servers on {lab.ServerAddress} (routed), {lab.ServerOnLinkAddress} (on-link){six}{viaSlirp}:\n");
            foreach (var s in lab.Servers.OrderBy(s => s.Port))
            {
                var health = s.Running ? s.Listening ? "listening" : "NOT LISTENING" : "NOT RUNNING";
                b.Append(CultureInfo.InvariantCulture, $"    {s.Port,5}  {s.Label,-36} pid {s.Pid,-8} {health}\n");
            }
        }

        if (lab.State == LabState.Up)
        {
            b.Append(CultureInfo.InvariantCulture, $"  try: ip netns exec {lab.ClientNamespace} python3 -c \"import socket; s=socket.create_connection(('{lab.ServerAddress}', {LabPorts.Echo})); s.sendall(b'AB'); print(s.recv(10))\"\n");
        }

        return b.ToString();
    }

    /// <summary>One JSON object (one line): name, state, namespaces, interfaces with addresses and MACs, servers, problems.</summary>
    public static string ToJson(LabInfo lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("name", lab.Name);
            w.WriteString("state", lab.State.ToString().ToLowerInvariant());
            w.WriteBoolean("already_up", lab.AlreadyUp);
            w.WriteBoolean("ipv6", lab.Ipv6);
            if (lab.CreatedAt is { } created)
            {
                w.WriteString("created", created);
            }

            w.WriteString("state_file", LabTopology.StatePath(lab.Name));
            w.WriteStartObject("namespaces");
            w.WriteString("client", lab.ClientNamespace);
            w.WriteString("router", lab.RouterNamespace);
            w.WriteString("server", lab.ServerNamespace);
            w.WriteString("slirp", lab.SlirpNamespace);
            w.WriteEndObject();

            w.WriteStartArray("existing_namespaces");
            foreach (var ns in lab.ExistingNamespaces)
            {
                w.WriteStringValue(ns);
            }

            w.WriteEndArray();

            w.WriteStartObject("client");
            Interface(w, "eth0", lab.ClientAddress, LabPlan.ClientMac, "router eth0", lab.Ipv6 ? LabPlan.ClientAddress6 : null);
            Interface(w, "eth1", lab.ClientOnLinkAddress, LabPlan.ClientOnLinkMac, "server eth1", lab.Ipv6 ? LabPlan.ClientOnLinkAddress6 : null);
            w.WriteString("gateway", lab.RouterClientSideAddress.ToString());
            w.WriteEndObject();

            w.WriteStartObject("router");
            Interface(w, "eth0", lab.RouterClientSideAddress, LabPlan.RouterClientSideMac, "client eth0", lab.Ipv6 ? LabPlan.RouterClientSideAddress6 : null);
            Interface(w, "eth1", lab.RouterServerSideAddress, LabPlan.RouterServerSideMac, "server eth0", lab.Ipv6 ? LabPlan.RouterServerSideAddress6 : null);
            w.WriteBoolean("forwarding", true);
            w.WriteEndObject();

            w.WriteStartObject("server");
            Interface(w, "eth0", lab.ServerAddress, LabPlan.ServerMac, "router eth1", lab.Ipv6 ? LabPlan.ServerAddress6 : null);
            Interface(w, "eth1", lab.ServerOnLinkAddress, LabPlan.ServerOnLinkMac, "client eth1", lab.Ipv6 ? LabPlan.ServerOnLinkAddress6 : null);
            w.WriteString("gateway", lab.RouterServerSideAddress.ToString());
            w.WriteEndObject();

            if (lab.Slirp is { } slirp)
            {
                w.WriteStartObject("slirp");
                w.WriteString("namespace", slirp.Namespace);
                w.WriteString("runs_in", lab.ServerNamespace);
                w.WriteStartObject(LabPlan.SlirpDevice);
                w.WriteString("address", $"{lab.SlirpClientAddress}/{LabPlan.PrefixLength}");
                w.WriteString("mac", LabPlan.SlirpClientMac);
                w.WriteString("peer", "slirp4netns");
                w.WriteEndObject();
                w.WriteString("gateway", lab.SlirpGatewayAddress.ToString());
                w.WriteString("network", LabPlan.SlirpNetwork);
                w.WriteNumber("pid", slirp.Pid);
                w.WriteNumber("start_time", slirp.StartTime);
                w.WriteBoolean("running", slirp.Running);
                w.WriteBoolean("configured", slirp.Configured);
                Strings(w, "command", slirp.Command);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("slirp");
            }

            w.WriteStartArray("servers");
            foreach (var s in lab.Servers.OrderBy(s => s.Port))
            {
                w.WriteStartObject();
                w.WriteString("mode", s.Mode.ToString().ToLowerInvariant());
                w.WriteNumber("port", s.Port);
                w.WriteString("label", s.Label);
                w.WriteNumber("pid", s.Pid);
                w.WriteNumber("start_time", s.StartTime);
                w.WriteBoolean("running", s.Running);
                w.WriteBoolean("listening", s.Listening);
                w.WriteStartArray("command");
                foreach (var a in s.Arguments)
                {
                    w.WriteStringValue(a);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            Strings(w, "problems", lab.Problems);
            Strings(w, "repaired", lab.Repaired);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Interface(Utf8JsonWriter w, string name, System.Net.IPAddress address, string mac, string peer, System.Net.IPAddress? address6)
    {
        w.WriteStartObject(name);
        w.WriteString("address", $"{address}/{LabPlan.PrefixLength}");
        if (address6 is not null)
        {
            w.WriteString("address6", $"{address6}/{LabPlan.PrefixLength6}");
        }

        w.WriteString("mac", mac);
        w.WriteString("peer", peer);
        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }
}
