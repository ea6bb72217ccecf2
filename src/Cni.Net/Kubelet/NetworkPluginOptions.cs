using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Kubelet;

/// <summary>
/// The node settings of a network plugin, mirroring the kubelet's flags (<see cref="Parse"/> reads them in the
/// kubelet's spelling). Paths default to the kubelet's; set them to private directories to keep a node agent (or a
/// test) away from the machine's <c>/etc/cni</c> and <c>/var/lib/cni</c>.
/// </summary>
public sealed class NetworkPluginOptions
{
    /// <summary>The kubelet's default <c>--cni-bin-dir</c>, searched first by kubenet.</summary>
    public const string DefaultCniBinDirectory = "/opt/cni/bin";

    /// <summary><c>--network-plugin</c>: <c>cni</c>, <c>kubenet</c>, or empty / <c>none</c> for noop.</summary>
    public string NetworkPlugin { get; set; } = "";

    /// <summary><c>--cni-bin-dir</c> (comma-separated on the command line): plugin directories, the first hit wins.</summary>
    public IList<string> CniBinDirectories { get; } = [DefaultCniBinDirectory];

    /// <summary><c>--cni-conf-dir</c>: where the cni plugin finds its network configs.</summary>
    public string CniConfDirectory { get; set; } = "/etc/cni/net.d";

    /// <summary><c>--cni-cache-dir</c>: the result cache (results live in its <c>results</c> subdirectory).</summary>
    public string CniCacheDirectory { get; set; } = "/var/lib/cni/cache";

    /// <summary>
    /// <c>--host-local-data-dir</c> (a Cni.Net addition): the <c>dataDir</c> kubenet gives host-local;
    /// <see langword="null"/> leaves host-local's default <c>/var/lib/cni/networks</c>.
    /// </summary>
    public string? HostLocalDataDirectory { get; set; }

    /// <summary><c>--network-plugin-mtu</c>: the pod bridge MTU for kubenet; 0 detects it from the node's interfaces.</summary>
    public int NetworkPluginMtu { get; set; }

    /// <summary><c>--non-masquerade-cidr</c>: kubenet masquerades traffic from pods to destinations outside it.</summary>
    public IPNetwork NonMasqueradeCidr { get; set; } = IPNetwork.Parse("10.0.0.0/8");

    /// <summary><c>--pod-cidr</c>: the node's pod CIDR(s), comma-separated; may instead arrive later through
    /// <see cref="INetworkPlugin.OnPodCidrChanged"/>.</summary>
    public string? PodCidr { get; set; }

    /// <summary><c>--hairpin-mode</c>.</summary>
    public HairpinMode HairpinMode { get; set; } = HairpinMode.PromiscuousBridge;

    /// <summary>How long one plugin call may take. Default 60 s.</summary>
    public TimeSpan PluginTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Where the plugin logs; <see langword="null"/> means no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The directory kubenet searches before <see cref="CniBinDirectories"/> (the kubelet hard-codes it).</summary>
    internal string KubenetFirstBinDirectory { get; set; } = DefaultCniBinDirectory;

    /// <summary>
    /// Reads kubelet flags: <c>--network-plugin</c>, <c>--cni-bin-dir</c>, <c>--cni-conf-dir</c>, <c>--cni-cache-dir</c>,
    /// <c>--network-plugin-mtu</c>, <c>--non-masquerade-cidr</c>, <c>--pod-cidr</c>, <c>--hairpin-mode</c> and
    /// <c>--host-local-data-dir</c>, each as <c>--flag=value</c> or <c>--flag value</c>. Unset flags keep the kubelet's defaults.
    /// </summary>
    /// <param name="args">The flags.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">An unknown flag, a flag without its value, or an invalid value.</exception>
    public static NetworkPluginOptions Parse(IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new NetworkPluginOptions();
        using IEnumerator<string> e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{arg}' (flags look like --name=value)", nameof(args));
            }
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? arg[2..] : arg[2..eq];
            string value;
            if (eq >= 0)
            {
                value = arg[(eq + 1)..];
            }
            else if (e.MoveNext())
            {
                value = e.Current;
            }
            else
            {
                throw new ArgumentException($"flag --{name} needs a value", nameof(args));
            }
            options.Set(name, value);
        }
        return options;
    }

    private void Set(string name, string value)
    {
        switch (name)
        {
            case "network-plugin":
                NetworkPlugin = value;
                break;
            case "cni-bin-dir":
                CniBinDirectories.Clear();
                foreach (string dir in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    CniBinDirectories.Add(dir);
                }
                break;
            case "cni-conf-dir":
                CniConfDirectory = NonEmpty(name, value);
                break;
            case "cni-cache-dir":
                CniCacheDirectory = NonEmpty(name, value);
                break;
            case "host-local-data-dir":
                HostLocalDataDirectory = NonEmpty(name, value);
                break;
            case "network-plugin-mtu":
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int mtu) || mtu is not (0 or (>= 68 and <= 65535)))
                {
                    throw new ArgumentException($"--network-plugin-mtu '{value}' is not 0 or an MTU between 68 and 65535", nameof(value));
                }
                NetworkPluginMtu = mtu;
                break;
            case "non-masquerade-cidr":
                NonMasqueradeCidr = ParseCidr(name, value);
                break;
            case "pod-cidr":
                _ = ParsePodCidrs(value);
                PodCidr = value;
                break;
            case "hairpin-mode":
                HairpinMode = value switch
                {
                    "promiscuous-bridge" => HairpinMode.PromiscuousBridge,
                    "hairpin-veth" => HairpinMode.HairpinVeth,
                    "none" => HairpinMode.None,
                    _ => throw new ArgumentException($"--hairpin-mode '{value}' is not promiscuous-bridge, hairpin-veth or none", nameof(value)),
                };
                break;
            default:
                throw new ArgumentException($"unknown flag --{name}", nameof(name));
        }
    }

    /// <summary>Parses comma-separated CIDRs (at most one per address family), canonical: host bits must be zero.</summary>
    internal static IReadOnlyList<IPNetwork> ParsePodCidrs(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var cidrs = new List<IPNetwork>();
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            IPNetwork cidr = ParseCidr("pod-cidr", part);
            if (cidrs.Exists(c => c.BaseAddress.AddressFamily == cidr.BaseAddress.AddressFamily))
            {
                throw new ArgumentException($"--pod-cidr '{value}' has two CIDRs of one address family", nameof(value));
            }
            cidrs.Add(cidr);
        }
        return cidrs;
    }

    private static IPNetwork ParseCidr(string name, string value)
    {
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPNetwork.TryParse(value, out IPNetwork cidr)
            || !IPAddress.TryParse(value.AsSpan(0, slash), out IPAddress? address) || !address.Equals(cidr.BaseAddress))
        {
            throw new ArgumentException($"--{name} '{value}' is not a CIDR with zero host bits, such as 10.244.1.0/24", nameof(value));
        }
        return cidr;
    }

    private static string NonEmpty(string name, string value) =>
        value.Length > 0 ? value : throw new ArgumentException($"--{name} must not be empty", nameof(value));
}
