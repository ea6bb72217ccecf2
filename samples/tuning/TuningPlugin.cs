using System.Net.NetworkInformation;
using Cni.Net.Conventions;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Conventions.Links;
using Cni.Net.Spec;

namespace Cni.Net.Samples.Tuning;

/// <summary>
/// The reference tuning plugin on Cni.Net: writes sysctls of the pod's namespace (checked against the allowlist
/// file when it exists) and changes the pod interface's MAC, MTU, promiscuous and all-multicast modes and queue
/// length, saving what it changes in the reference's backup file so that DEL (ours or the reference's) restores it.
/// </summary>
internal sealed class TuningPlugin() : CniPlugin<TuningConfig>(TuningConfig.ReadCniConfig)
{
    protected override ValueTask<CniResult> AddAsync(CniPluginRequest<TuningConfig> request, CancellationToken cancellationToken)
    {
        Settings s = Load(request);
        CniResult previous = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "Required prevResult missing");
        if (TuningSysctls.FindRefused(s.Sysctls.Keys, TuningSysctls.ReadAllowlist()) is { } refused)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"Sysctl {refused} is not allowed. Only the sysctls of {TuningSysctls.DefaultAllowlistPath} are allowed");
        }
        CniResult result = previous.Clone();
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        foreach ((string key, string value) in s.Sysctls)
        {
            Sysctl.Write(TuningSysctls.ToPath(key, request.IfName), value, podNamespace);
        }
        if (s.ChangesLink)
        {
            using RouteNetlink pod = RouteNetlink.Open(podNamespace);
            LinkInfo link = pod.GetLink(request.IfName);
            LinkSettingsBackup.Capture(link, s.Mac is not null, s.Promisc, s.Mtu != 0, s.Allmulti is not null, s.TxQLen is not null)
                .Save(LinkSettingsBackup.FilePath(s.DataDir, request.ContainerId, request.IfName));
            if (s.Mac is { } mac)
            {
                pod.SetLinkMacAddress(link.Index, mac);
                foreach (CniInterface entry in result.Interfaces.Where(i => i.Name == request.IfName))
                {
                    entry.Mac = CniInterface.FormatMac(mac);
                }
            }
            if (s.Promisc)
            {
                pod.SetLinkPromiscuous(link.Index, true);
            }
            if (s.Mtu != 0)
            {
                pod.SetLinkMtu(link.Index, s.Mtu);
            }
            if (s.Allmulti is bool allmulti)
            {
                pod.SetLinkAllMulticast(link.Index, allmulti);
            }
            if (s.TxQLen is int length)
            {
                pod.SetLinkTxQueueLength(link.Index, (uint)length);
            }
        }
        return ValueTask.FromResult(result);
    }

    protected override ValueTask DelAsync(CniPluginRequest<TuningConfig> request, CancellationToken cancellationToken)
    {
        Settings s = Load(request);
        string path = LinkSettingsBackup.FilePath(s.DataDir, request.ContainerId, request.IfName);
        if (LinkSettingsBackup.Load(path) is not { } backup || PodNamespace.TryOpen(request.NetNs) is not { } podNamespace)
        {
            // Nothing saved, or the namespace (and the interface with it) is gone: nothing to restore. The reference
            // keeps the file then; we remove it so that nothing outlives the attachment.
            DeleteBackup(path);
            return ValueTask.CompletedTask;
        }
        using (podNamespace)
        using (RouteNetlink pod = RouteNetlink.Open(podNamespace))
        {
            if (pod.TryGetLink(request.IfName, out LinkInfo? link))
            {
                IReadOnlyList<string> errors = backup.Restore(pod, link.Index);
                if (errors.Count > 0)
                {
                    throw new CniException(CniErrorCode.IOFailure, string.Join("; ", errors));
                }
            }
        }
        DeleteBackup(path);
        return ValueTask.CompletedTask;
    }

    // DEL must succeed when ADD saved nothing: not even the backup directory need exist (podman's DEL after a tuning
    // ADD with no settings met exactly that).
    private static void DeleteBackup(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    protected override ValueTask CheckAsync(CniPluginRequest<TuningConfig> request, CancellationToken cancellationToken)
    {
        Settings s = Load(request);
        _ = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "Required prevResult missing");
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        foreach ((string key, string value) in s.Sysctls)
        {
            string path = TuningSysctls.ToPath(key, request.IfName);
            string current = Sysctl.Read(path, podNamespace);
            if (current != value)
            {
                throw CheckFailed($"Tuning configured value of {path} is {value}, current value is {current}");
            }
        }
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        if (!pod.TryGetLink(request.IfName, out LinkInfo? link))
        {
            throw CheckFailed($"Cannot find container link {request.IfName}");
        }
        if (s.Mac is { } mac && !mac.Equals(link.MacAddress))
        {
            throw CheckFailed($"Tuning configured Ethernet of {request.IfName} is {CniInterface.FormatMac(mac)}, current value is {CniInterface.FormatMac(link.MacAddress)}");
        }
        bool promisc = (link.Flags & InterfaceFlags.Promiscuous) != 0;
        if (promisc != s.Promisc)
        {
            throw CheckFailed($"Tuning link {request.IfName} configured promisc is {s.Promisc}, current value is {promisc}");
        }
        if (s.Mtu != 0 && s.Mtu != link.Mtu)
        {
            throw CheckFailed($"Tuning configured MTU of {request.IfName} is {s.Mtu}, current value is {link.Mtu}");
        }
        bool allmulti = (link.Flags & InterfaceFlags.AllMulticast) != 0;
        if (s.Allmulti is bool wanted && wanted != allmulti)
        {
            throw CheckFailed($"Tuning configured all-multicast mode of {request.IfName} is {wanted}, current value is {allmulti}");
        }
        if (s.TxQLen is int length && length != link.TxQueueLength)
        {
            throw CheckFailed($"Tuning configured Transmit Queue Length of {request.IfName} is {length}, current value is {link.TxQueueLength}");
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>The effective settings: the config's keys, the MAC from CNI_ARGS or the capability, then args.cni.</summary>
    private sealed record Settings(string DataDir, Dictionary<string, string> Sysctls, PhysicalAddress? Mac, bool Promisc, int Mtu, bool? Allmulti, int? TxQLen)
    {
        public bool ChangesLink => Mac is not null || Mtu != 0 || Promisc || Allmulti is not null || TxQLen is not null;
    }

    private static Settings Load(CniPluginRequest<TuningConfig> request)
    {
        if (request.IfName.Contains('/', StringComparison.Ordinal))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"Interface name ({request.IfName}) contains an invalid character /");
        }
        TuningConfig c = request.NetConf;
        TuningOverrides o = c.Args?.Cni ?? new TuningOverrides();
        var sysctls = new Dictionary<string, string>(c.Sysctl ?? [], StringComparer.Ordinal);
        foreach ((string key, string value) in o.Sysctl ?? [])
        {
            sysctls[key] = value;
        }
        foreach (string key in sysctls.Keys)
        {
            try
            {
                TuningSysctls.ToPath(key, request.IfName);
            }
            catch (ArgumentException e)
            {
                // Every key is checked before the first is written: a bad one changes nothing.
                throw new CniException(CniErrorCode.InvalidNetworkConfig, e.Message.Split(" (Parameter", 2)[0], null, e);
            }
        }
        string? mac = o.Mac ?? RequestedMac.Pick(request.Args, c.Mac, runtime: c.RuntimeConfig?.Mac);
        int mtu = o.Mtu ?? c.Mtu;
        if (mtu is < 0 or > 65535)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid MTU {mtu}");
        }
        if ((o.TxQLen ?? c.TxQLen) is < 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid txQLen {o.TxQLen ?? c.TxQLen}");
        }
        return new Settings(string.IsNullOrEmpty(c.DataDir) ? LinkSettingsBackup.DefaultDataDirectory : c.DataDir, sysctls,
            RequestedMac.Parse(mac), o.Promisc ?? c.Promisc, mtu, o.Allmulti ?? c.Allmulti, o.TxQLen ?? c.TxQLen);
    }

    private static CniException CheckFailed(string message) => new(PodInterface.CheckFailedCode, message);
}
