using System.CommandLine;
using System.Globalization;
using Cni.Net.Kubelet;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace KubenetNode;

/// <summary>
/// The commands of kubenet-node, parsed by System.CommandLine: help on stdout with exit 0, usage errors on stderr with
/// exit 1, failures on stderr with exit 1 (CNI errors, with their code) or 2 (bad input), <c>status</c> 3 when the
/// network is not ready.
/// </summary>
internal static class Cli
{
    // The kubelet flags init remembers; each is handed to NetworkPluginOptions as --name=value.
    private static readonly (string Name, string Description)[] s_kubeletFlags =
    [
        ("--network-plugin", "noop, cni or kubenet (default kubenet)"),
        ("--cni-bin-dir", "plugin directories, comma-separated"),
        ("--cni-conf-dir", "conf dir (default DIR/net.d)"),
        ("--cni-cache-dir", "result cache (default DIR/cache)"),
        ("--host-local-data-dir", "host-local store (default DIR/networks)"),
        ("--network-plugin-mtu", "MTU of cbr0 and the pods' interfaces (0: from the default route)"),
        ("--non-masquerade-cidr", "traffic to this CIDR is not masqueraded"),
        ("--pod-cidr", "the node's pod CIDR(s), comma-separated"),
        ("--hairpin-mode", "promiscuous-bridge, hairpin-veth or none"),
    ];

    public static RootCommand BuildCommand()
    {
        var stateDir = new Option<string>("--state-dir")
        {
            Description = "The node's state directory (its kubelet flags, cache, conf dir, host-local store)",
            Required = true,
            Recursive = true,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Write the library's log to stderr", Recursive = true };
        var root = new RootCommand(
            "kubenet-node: the kubelet's network-plugin layer (noop, cni, kubenet) as a node agent. Every command " +
            "re-initializes the plugin from the flags kept in the state directory, as a restarted kubelet would.");
        root.Options.Add(stateDir);
        root.Options.Add(verbose);

        var init = new Command("init", "Remember the node's kubelet flags and initialize the plugin (reports missing plugins)");
        var flagOptions = new List<Option<string>>();
        foreach ((string flag, string description) in s_kubeletFlags)
        {
            var option = new Option<string>(flag) { Description = description };
            flagOptions.Add(option);
            init.Options.Add(option);
        }
        init.SetAction((parse, ct) => Run(parse, stateDir, verbose, (state, logs) =>
        {
            var flags = new List<string>();
            foreach (Option<string> option in flagOptions)
            {
                if (parse.GetValue(option) is { } value)
                {
                    flags.Add($"{option.Name}={value}");
                }
            }
            return InitAsync(state, flags, logs);
        }));

        var cidr = new Argument<string>("cidr") { Description = "the pod CIDR(s), comma-separated" };
        var podCidr = new Command("pod-cidr", "The pod-CIDR event: hand the node its pod CIDR after init") { cidr };
        podCidr.SetAction((parse, ct) => Run(parse, stateDir, verbose, (state, logs) => PodCidrAsync(state, parse.GetValue(cidr)!, logs)));

        var ns = new Option<string>("--namespace") { Description = "the pod's namespace", DefaultValueFactory = _ => "default" };
        var name = new Option<string>("--name") { Description = "the pod's name (default: the sandbox id)" };
        var sandbox = new Option<string>("--sandbox-id") { Description = "the pod sandbox's id", Required = true };
        var netns = new Option<string>("--netns") { Description = "the sandbox's network namespace path" };
        var hostPorts = new Option<string[]>("--host-port") { Description = "HOST:CONTAINER[/tcp|udp|sctp], repeatable", AllowMultipleArgumentsPerToken = false };
        var annotations = new Option<string[]>("--annotation") { Description = "KEY=VALUE, repeatable" };
        PodSandbox Pod(ParseResult parse) => ReadPod(parse.GetValue(ns)!, parse.GetValue(name), parse.GetValue(sandbox)!,
            parse.GetValue(netns), parse.GetValue(hostPorts) ?? [], parse.GetValue(annotations) ?? []);

        var setUp = new Command("setup-pod", "Set up a pod's network (kubelet's SetUpPod)") { ns, name, sandbox, netns, hostPorts, annotations };
        setUp.Validators.Add(r =>
        {
            if (r.GetValue(netns) is null)
            {
                r.AddError("Option '--netns' is required.");
            }
        });
        setUp.SetAction((parse, ct) => Run(parse, stateDir, verbose, (state, logs) => SetUpPodAsync(state, Pod(parse), logs)));

        var tearDown = new Command("teardown-pod", "Tear down a pod's network (kubelet's TearDownPod)") { ns, name, sandbox, netns };
        tearDown.SetAction((parse, ct) => Run(parse, stateDir, verbose, (state, logs) => TearDownPodAsync(state, Pod(parse), logs)));

        var statusSandbox = new Option<string>("--sandbox-id") { Description = "also show this pod's addresses" };
        var status = new Command("status", "The network's readiness (exit 3 when not ready), and a pod's addresses") { ns, name, statusSandbox, netns };
        status.SetAction((parse, ct) => Run(parse, stateDir, verbose, (state, logs) =>
            StatusAsync(state, parse.GetValue(statusSandbox) is { } id
                ? ReadPod(parse.GetValue(ns)!, parse.GetValue(name), id, parse.GetValue(netns), [], [])
                : null, logs)));

        root.Subcommands.Add(init);
        root.Subcommands.Add(podCidr);
        root.Subcommands.Add(setUp);
        root.Subcommands.Add(tearDown);
        root.Subcommands.Add(status);
        return root;
    }

    private static async Task<int> Run(ParseResult parse, Option<string> stateDir, Option<bool> verbose,
        Func<NodeState, TextWriterLoggerFactory?, Task<int>> action)
    {
        using TextWriterLoggerFactory? logs = parse.GetValue(verbose) ? new(Console.Error, LogLevel.Debug) : null;
        try
        {
            return await action(new NodeState(parse.GetValue(stateDir)!), logs);
        }
        catch (CniException e)
        {
            Console.Error.WriteLine($"kubenet-node: error (CNI code {(uint)e.Code}): {e.Message}{(e.Details is null ? "" : " — " + e.Details)}");
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("kubenet-node: " + e.Message);
            return 2;
        }
    }

    private static async Task<int> InitAsync(NodeState state, List<string> flags, TextWriterLoggerFactory? logs)
    {
        NetworkPluginOptions options = state.Save(flags);
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(options.WithLogging(logs));
        Console.WriteLine($"network plugin: {(plugin.Name.Length == 0 ? "noop" : plugin.Name)}");
        Console.WriteLine($"plugin dirs:    {string.Join(", ", options.CniBinDirectories)}");
        Console.WriteLine($"state:          {state.Directory}");
        await PrintStatusAsync(plugin);
        return 0;
    }

    private static async Task<int> PodCidrAsync(NodeState state, string cidr, TextWriterLoggerFactory? logs)
    {
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(state.Load().WithLogging(logs));
        plugin.OnPodCidrChanged(cidr);
        state.SetPodCidr(cidr);
        Console.WriteLine($"pod CIDR: {cidr}");
        await PrintStatusAsync(plugin);
        return 0;
    }

    private static async Task<int> SetUpPodAsync(NodeState state, PodSandbox pod, TextWriterLoggerFactory? logs)
    {
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(state.Load().WithLogging(logs));
        await plugin.SetUpPodAsync(pod);
        PodNetworkStatus? status = await plugin.GetPodNetworkStatusAsync(pod);
        Console.WriteLine($"pod {pod.Namespace}/{pod.Name} (sandbox {pod.SandboxId}): {status?.ToString() ?? "no address"}");
        return 0;
    }

    private static async Task<int> TearDownPodAsync(NodeState state, PodSandbox pod, TextWriterLoggerFactory? logs)
    {
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(state.Load().WithLogging(logs));
        await plugin.TearDownPodAsync(pod);
        Console.WriteLine($"pod sandbox {pod.SandboxId}: torn down");
        return 0;
    }

    private static async Task<int> StatusAsync(NodeState state, PodSandbox? pod, TextWriterLoggerFactory? logs)
    {
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(state.Load().WithLogging(logs));
        bool ready = await PrintStatusAsync(plugin);
        if (pod is not null)
        {
            PodNetworkStatus? status = await plugin.GetPodNetworkStatusAsync(pod);
            Console.WriteLine($"pod sandbox {pod.SandboxId}: {status?.ToString() ?? "no address"}");
        }
        return ready ? 0 : 3;
    }

    private static NetworkPluginOptions WithLogging(this NetworkPluginOptions options, TextWriterLoggerFactory? logs)
    {
        options.LoggerFactory = logs;
        return options;
    }

    private static async Task<bool> PrintStatusAsync(INetworkPlugin plugin)
    {
        NetworkPluginStatus status = await plugin.GetStatusAsync();
        Console.WriteLine($"status:         {status}");
        return status.IsReady;
    }

    private static PodSandbox ReadPod(string ns, string? name, string sandboxId, string? netns, string[] hostPorts, string[] annotations)
    {
        var pod = new PodSandbox(ns, name ?? sandboxId, sandboxId, netns);
        foreach (string mapping in hostPorts)
        {
            pod.PortMappings.Add(ParsePort(mapping));
        }
        foreach (string annotation in annotations)
        {
            int eq = annotation.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"--annotation '{annotation}' is not KEY=VALUE");
            }
            pod.Annotations[annotation[..eq]] = annotation[(eq + 1)..];
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
}
