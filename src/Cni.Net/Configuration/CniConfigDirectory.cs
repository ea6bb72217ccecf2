using System.Text.Json;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cni.Net.Configuration;

/// <summary>
/// The networks of a CNI conf dir (such as <c>/etc/cni/net.d</c>), found the way kubelet/containerd and libcni
/// find them: files named <c>*.conflist</c>, <c>*.conf</c> and <c>*.json</c> in ordinal order of their names; a
/// single-plugin file is lifted into a list; a list gets the plugin drop-ins <c>&lt;confdir&gt;/&lt;name&gt;/*.conf</c>
/// appended unless it sets <c>loadOnlyInlinedPlugins</c>; the first valid network is the default. A bad file never
/// aborts the scan: it lands in <see cref="Skipped"/> with its reason and is logged.
/// </summary>
public sealed class CniConfigDirectory
{
    /// <summary>Files larger than this are not configurations (and are not read into memory).</summary>
    internal const long MaxFileSize = 16 * 1024 * 1024;

    private static readonly string[] s_extensions = [".conflist", ".conf", ".json"];

    private CniConfigDirectory(string path, bool exists, List<NetworkConfigFile> networks, List<SkippedConfigFile> skipped)
    {
        Path = path;
        Exists = exists;
        Networks = networks;
        Skipped = skipped;
    }

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>
    /// Whether the directory existed when it was scanned. A missing directory is not an error (a node's conf dir
    /// appears when its network is installed, and kubelet waits for it), but it is told apart from an empty one.
    /// </summary>
    public bool Exists { get; }

    /// <summary>The valid networks in the order a kubelet considers them; the first is the default.</summary>
    public IReadOnlyList<NetworkConfigFile> Networks { get; }

    /// <summary>Files (and drop-ins) that could not be used, in scan order.</summary>
    public IReadOnlyList<SkippedConfigFile> Skipped { get; }

    /// <summary>The default network (the first valid one), or null when there is none.</summary>
    public NetworkConfigFile? Default => Networks.Count > 0 ? Networks[0] : null;

    /// <summary>
    /// The network named <paramref name="name"/> as libcni's <c>LoadNetworkConf</c> picks it: the first
    /// <c>.conflist</c> with that name, else the first <c>.conf</c>/<c>.json</c>; null when none.
    /// </summary>
    public NetworkConfigFile? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        NetworkConfigFile? single = null;
        foreach (NetworkConfigFile network in Networks)
        {
            if (!string.Equals(network.Config.Name, name, StringComparison.Ordinal))
            {
                continue;
            }
            if (network.IsList)
            {
                return network;
            }
            single ??= network;
        }
        return single;
    }

    /// <summary>
    /// Scans <paramref name="directory"/>. A missing directory gives no networks (as libcni) with
    /// <see cref="Exists"/> false, and is logged as missing.
    /// </summary>
    /// <exception cref="IOException">The directory exists but cannot be listed.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be listed.</exception>
    public static CniConfigDirectory Load(string directory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        logger ??= NullLogger.Instance;
        var networks = new List<NetworkConfigFile>();
        var skipped = new List<SkippedConfigFile>();
        if (!Directory.Exists(directory))
        {
            ConfigurationLog.MissingDirectory(logger, directory);
            return new CniConfigDirectory(directory, exists: false, networks, skipped);
        }
        foreach (string file in ListFiles(directory, s_extensions))
        {
            NetworkConfigFile? network = LoadFile(directory, file, skipped, logger);
            if (network is not null)
            {
                networks.Add(network);
                ConfigurationLog.LoadedNetwork(logger, network.Config.Name, network.Version,
                    network.Config.Plugins.Count, file);
            }
        }
        if (networks.Count > 0)
        {
            ConfigurationLog.DefaultNetwork(logger, networks[0].Config.Name, networks[0].Path);
        }
        else
        {
            ConfigurationLog.NoNetwork(logger, directory);
        }
        return new CniConfigDirectory(directory, exists: true, networks, skipped);
    }

    private static NetworkConfigFile? LoadFile(string directory, string file, List<SkippedConfigFile> skipped, ILogger logger)
    {
        NetworkConfigList list;
        try
        {
            byte[] bytes = ReadFile(file);
            list = file.EndsWith(".conflist", StringComparison.Ordinal)
                ? NetworkConfigList.Parse(bytes)
                : NetworkConfigList.FromPluginConfig(PluginConfig.Parse(bytes));
        }
        catch (Exception e) when (e is CniException or IOException or UnauthorizedAccessException)
        {
            Skip(skipped, logger, file, e);
            return null;
        }

        var dropInFiles = new List<string>();
        if (file.EndsWith(".conflist", StringComparison.Ordinal) && !list.LoadOnlyInlinedPlugins)
        {
            // Only lists take drop-ins (libcni's NetworkConfFromFile); a bad drop-in disqualifies the network.
            var dropIns = new List<PluginConfig>();
            string dropInDirectory = System.IO.Path.Combine(directory, list.Name);
            try
            {
                foreach (string dropIn in ListFiles(dropInDirectory, [".conf"]))
                {
                    try
                    {
                        dropIns.Add(PluginConfig.Parse(ReadFile(dropIn)));
                        dropInFiles.Add(dropIn);
                    }
                    catch (Exception e) when (e is CniException or IOException or UnauthorizedAccessException)
                    {
                        Skip(skipped, logger, dropIn, e, $"plugin drop-in of network '{list.Name}' ({file}) is invalid, so the network is skipped: ");
                        return null;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Skip(skipped, logger, file, e, $"cannot list plugin drop-ins in {dropInDirectory}: ");
                return null;
            }
            if (dropIns.Count > 0)
            {
                list = list.WithAppendedPlugins(dropIns);
            }
        }

        if (list.Plugins.Count == 0)
        {
            Skip(skipped, logger, file, new CniException(CniErrorCode.InvalidNetworkConfig,
                $"plugins: network '{list.Name}' has no plugins (none inline, no drop-ins in {System.IO.Path.Combine(directory, list.Name)})"));
            return null;
        }
        CniVersion version;
        try
        {
            version = list.NegotiateVersion();
        }
        catch (CniException e)
        {
            Skip(skipped, logger, file, e);
            return null;
        }
        return new NetworkConfigFile(file, list, version, dropInFiles);
    }

    private static byte[] ReadFile(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        if (stream.Length > MaxFileSize)
        {
            throw new CniException(CniErrorCode.IOFailure, $"file is larger than {MaxFileSize} bytes");
        }
        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static void Skip(List<SkippedConfigFile> skipped, ILogger logger, string file, Exception e, string prefix = "")
    {
        long? line = null;
        long? position = null;
        if (e.InnerException is JsonException json && json.LineNumber is long l)
        {
            line = l + 1;
            position = (json.BytePositionInLine ?? 0) + 1;
        }
        CniErrorCode? code = e is CniException cni ? cni.Code : CniErrorCode.IOFailure;
        var entry = new SkippedConfigFile(file, prefix + e.Message, code, line, position);
        skipped.Add(entry);
        ConfigurationLog.SkippedFile(logger, file, entry.Reason);
    }

    /// <summary>Regular files (or links to them) with one of the extensions, in ordinal order of their names.</summary>
    private static List<string> ListFiles(string directory, string[] extensions)
    {
        var files = new List<string>();
        if (!Directory.Exists(directory))
        {
            return files;
        }
        foreach (string path in Directory.EnumerateFiles(directory))
        {
            string extension = System.IO.Path.GetExtension(path);
            if (Array.IndexOf(extensions, extension) >= 0)
            {
                files.Add(path);
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
