using RawHandshake.Cli.Args;
using RawHandshake.Lab;
using RawHandshake.Lab.Topology;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Cli.Verbs;

/// <summary>The lab as a place to run in: which targets are the lab's, and bringing it up (from init's namespaces only).</summary>
public static class LabFront
{
    /// <summary>Whether <paramref name="target"/> is one of the lab's server addresses.</summary>
    public static bool IsLabServer(IpAddress target)
    {
        var ip = target.ToIPAddress();
        return ip.Equals(LabPlan.ServerAddress) || ip.Equals(LabPlan.ServerOnLinkAddress);
    }

    /// <summary>Refuses, in one line and before anything is made, to make a lab from another namespace.</summary>
    public static void RequireInitialNamespaces(string action)
    {
        if (Link.NetNs.WhyNotInitial() is { } why)
        {
            throw new UsageException($"{action}: {why}: the lab's namespaces would not be reachable from the host; run it from the host's namespace");
        }
    }

    /// <summary>Brings lab <paramref name="name"/> up (or finds it up); one line on failure, nothing left half made.</summary>
    public static LabInfo Up(string name, CliContext context, string action)
    {
        if (!LabPlan.IsValidName(name))
        {
            throw new UsageException($"--lab: {LabPlan.BadName(name)}");
        }

        RequireInitialNamespaces(action);
        try
        {
            return LabTopology.Up(name, null, context.Interrupts.Token);
        }
        catch (LabException e)
        {
            throw new UsageException(e.Message);
        }
        catch (OperationCanceledException)
        {
            throw new Link.InterruptedException(context.Interrupts.ExitCode ?? ExitCodes.Interrupted);
        }
    }
}
