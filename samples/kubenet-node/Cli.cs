using System.Globalization;
using Cni.Net.Kubelet;
using Cni.Net.Spec;
using Cni.Net.Netfilter.NfTables;

namespace KubenetNode;

/// <summary>The commands of kubenet-node.</summary>
internal static class Cli
{
    private const string Usage = """
        usage: kubenet-node <command> --state-dir DIR [options]
          init [kubelet flags]      remember the node's flags in DIR and initialize the plugin (reports missing plugins)
                                    flags: --network-plugin (default kubenet) --cni-bin-dir --cni-conf-dir --cni-cache-dir
                                    --network-plugin-mtu --non-masquerade-cidr --pod-cidr --hairpin-mode --host-local-data-dir
          pod-cidr CIDR             the pod-CIDR event: hand the node its pod CIDR after init
          setup-pod --namespace NS --name NAME --sandbox-id ID --netns PATH
                    [--host-port HOST:CONTAINER[/tcp|udp]]... [--annotation KEY=VALUE]...
          teardown-pod --sandbox-id ID [--netns PATH] [--namespace NS --name NAME]
          status [--sandbox-id ID --netns PATH]   readiness, and a pod's addresses
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        string command = args[0];
        var rest = new List<string>(args[1..]);
        string stateDir = Take(rest, "--state-dir") ?? throw new ArgumentException("--state-dir DIR is required\n" + Usage);
        var state = new NodeState(stateDir);
        switch (command)
        {
            case "init":
                return await InitAsync(state, rest);
            case "pod-cidr":
                return await PodCidrAsync(state, rest);
            case "setup-pod":
                return await SetUpPodAsync(state, rest);
            case "teardown-pod":
                return await TearDownPodAsync(state, rest);
            case "status":
                return await StatusAsync(state, rest);
            default:
                throw new ArgumentException($"unknown command '{command}'\n" + Usage);
        }
    }

    private static async Task<int> InitAsync(NodeState state, List<string> flags)
    {
        NetworkPluginOptions options = state.Save(flags);
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(options);
        Console.WriteLine($"network plugin: {(plugin.Name.Length == 0 ? "noop" : plugin.Name)}");
        Console.WriteLine($"plugin dirs:    {string.Join(", ", options.CniBinDirectories)}");
        Console.WriteLine($"state:          {state.Directory}");
        await PrintStatusAsync(plugin);
        return 0;
    }

    private static async Task<int> PodCidrAsync(NodeState state, List<string> rest)
    {
        if (rest.Count != 1)
        {
            throw new ArgumentException("pod-cidr takes one argument, the CIDR(s)");
        }
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(state.Load());
        plugin.OnPodCidrChanged(rest[0]);
        state.SetPodCidr(rest[0]);
        Console.WriteLine($"pod CIDR: {rest[0]}");
        await PrintStatusAsync(plugin);
        return 0;
    }

    private static async Task<int> SetUpPodAsync(NodeState state, List<string> rest)
    {
        PodSandbox pod = ReadPod(rest, requireNetNs: true);
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(state.Load());
        await plugin.SetUpPodAsync(pod);
        PodNetworkStatus? status = await plugin.GetPodNetworkStatusAsync(pod);
        Console.WriteLine($"pod {pod.Namespace}/{pod.Name} (sandbox {pod.SandboxId}): {status?.ToString() ?? "no address"}");
        return 0;
    }

    private static async Task<int> TearDownPodAsync(NodeState state, List<string> rest)
    {
        PodSandbox pod = ReadPod(rest, requireNetNs: false);
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(state.Load());
        await plugin.TearDownPodAsync(pod);
        Console.WriteLine($"pod sandbox {pod.SandboxId}: torn down");
        return 0;
    }

    private static async Task<int> StatusAsync(NodeState state, List<string> rest)
    {
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(state.Load());
        bool ready = await PrintStatusAsync(plugin);
        if (rest.Count > 0)
        {
            PodSandbox pod = ReadPod(rest, requireNetNs: false);
            PodNetworkStatus? status = await plugin.GetPodNetworkStatusAsync(pod);
            Console.WriteLine($"pod sandbox {pod.SandboxId}: {status?.ToString() ?? "no address"}");
        }
        return ready ? 0 : 3;
    }

    private static async Task<bool> PrintStatusAsync(INetworkPlugin plugin)
    {
        NetworkPluginStatus status = await plugin.GetStatusAsync();
        Console.WriteLine($"status:         {status}");
        return status.IsReady;
    }

    private static PodSandbox ReadPod(List<string> rest, bool requireNetNs)
    {
        string sandboxId = Take(rest, "--sandbox-id") ?? throw new ArgumentException("--sandbox-id is required");
        string? netns = Take(rest, "--netns");
        if (requireNetNs && netns is null)
        {
            throw new ArgumentException("--netns PATH is required");
        }
        var pod = new PodSandbox(Take(rest, "--namespace") ?? "default", Take(rest, "--name") ?? sandboxId, sandboxId, netns);
        while (Take(rest, "--host-port") is string mapping)
        {
            pod.PortMappings.Add(ParsePort(mapping));
        }
        while (Take(rest, "--annotation") is string annotation)
        {
            int eq = annotation.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"--annotation '{annotation}' is not KEY=VALUE");
            }
            pod.Annotations[annotation[..eq]] = annotation[(eq + 1)..];
        }
        if (rest.Count > 0)
        {
            throw new ArgumentException($"unexpected arguments: {string.Join(' ', rest)}");
        }
        return pod;
    }

    private static PortMapping ParsePort(string text)
    {
        string protocol = "tcp";
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            protocol = text[(slash + 1)..];
            text = text[..slash];
        }
        string[] parts = text.Split(':');
        if (parts.Length != 2 || !ushort.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ushort host)
            || !ushort.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out ushort container) || host == 0 || container == 0
            || protocol is not ("tcp" or "udp" or "sctp"))
        {
            throw new ArgumentException($"--host-port '{text}' is not HOST:CONTAINER[/tcp|udp|sctp]");
        }
        return new PortMapping { HostPort = host, ContainerPort = container, Protocol = protocol };
    }

    /// <summary>Removes <c>--name value</c> or <c>--name=value</c> (the first one) from the list and returns the value.</summary>
    internal static string? Take(List<string> args, string name)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == name)
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{name} needs a value");
                }
                string value = args[i + 1];
                args.RemoveRange(i, 2);
                return value;
            }
            if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                string value = args[i][(name.Length + 1)..];
                args.RemoveAt(i);
                return value;
            }
        }
        return null;
    }
}
