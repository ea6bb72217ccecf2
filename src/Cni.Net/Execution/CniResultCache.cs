using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Interop;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Execution;

/// <summary>
/// The result cache in libcni's on-disk format: <c>&lt;root&gt;/results/&lt;network&gt;-&lt;containerID&gt;-&lt;ifname&gt;</c>
/// holding <c>{"kind":"cniCacheV1",...}</c>. Go runtimes (podman, containerd, cri-o) and Cni.Net read each other's
/// files. Unlike libcni, writes are atomic (a temporary file renamed into place), and an unreadable file is reported as
/// absent rather than failing DEL.
/// </summary>
/// <remarks>
/// Writes are not flushed to disk (libcni's are not either): an entry describes kernel state — links, addresses, rules
/// — that a power loss takes with it, and a DEL that finds no entry still runs. An fsync of the file and its directory
/// cost 0.5–0.7 ms of every in-process ADD on ext4, a fifth of the chain.
/// </remarks>
internal sealed class CniResultCache
{
    internal const string KindV1 = "cniCacheV1";

    private readonly ILogger _logger;

    public CniResultCache(string root, ILogger logger)
    {
        Root = root;
        _logger = logger;
    }

    /// <summary>The cache root (libcni's CacheDir, default <c>/var/lib/cni</c>); files live in its <c>results</c>.</summary>
    public string Root { get; }

    public string ResultsDirectory => Path.Combine(Root, "results");

    public string PathFor(string network, string containerId, string ifName)
    {
        if (network.Length == 0 || containerId.Length == 0 || ifName.Length == 0)
        {
            throw new ArgumentException(
                $"a cache entry needs network name (\"{network}\"), container id (\"{containerId}\") and interface name (\"{ifName}\")");
        }
        return Path.Combine(ResultsDirectory, EntryName(network, containerId, ifName));
    }

    // A file name holds 255 bytes, and earlier versions' temporary names added up to 46 to the entry's (kept: the
    // bound decides which entries are named by a hash).
    private const int MaxEntryNameBytes = 200;
    private const string HashedEntryPrefix = "long-";

    /// <summary>
    /// libcni's <c>&lt;network&gt;-&lt;containerID&gt;-&lt;ifname&gt;</c>; where that is too long for a file name (the spec
    /// limits neither the id nor the network name, and libcni itself fails to cache such an attachment) the entry is
    /// named by a hash of the three instead, so the attachment is still cached and found.
    /// </summary>
    internal static string EntryName(string network, string containerId, string ifName)
    {
        string name = $"{network}-{containerId}-{ifName}";
        if (Encoding.UTF8.GetByteCount(name) <= MaxEntryNameBytes)
        {
            return name;
        }
        byte[] hash = Interop.Sha512.HashData(Encoding.UTF8.GetBytes($"{network}\0{containerId}\0{ifName}"));
        return HashedEntryPrefix + Convert.ToHexStringLower(hash)[..64];
    }

    public void Write(string network, string containerId, string ifName, string? netNs, ReadOnlySpan<byte> config,
        IReadOnlyList<KeyValuePair<string, string>> cniArgs, JsonObject? capabilityArgs, Action<Utf8JsonWriter> writeResult)
    {
        string path = PathFor(network, containerId, ifName);
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", KindV1);
            w.WriteString("containerId", containerId);
            w.WriteBase64String("config", config);
            w.WriteString("ifName", ifName);
            w.WriteString("networkName", network);
            if (!string.IsNullOrEmpty(netNs))
            {
                w.WriteString("netns", netNs);
            }
            if (cniArgs.Count > 0)
            {
                w.WriteStartArray("cniArgs");
                foreach (var (k, v) in cniArgs)
                {
                    w.WriteStartArray();
                    w.WriteStringValue(k);
                    w.WriteStringValue(v);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            if (capabilityArgs is { Count: > 0 })
            {
                w.WritePropertyName("capabilityArgs");
                capabilityArgs.WriteTo(w);
            }
            w.WritePropertyName("result");
            writeResult(w);
            w.WriteEndObject();
        }
        WriteAtomically(path, buffer.WrittenSpan);
    }

    /// <remarks>
    /// A writer killed midway leaves nothing (<see cref="PosixFile.TryReplace"/>), except one that was replacing an
    /// entry and died between linking and renaming: that leaves <see cref="TemporaryFor"/>, which the entry's next
    /// write and its DEL remove. So the directory is never read here: sweeping every write's and delete's orphans
    /// listed it twice per pod, with 250 pods' entries 0.1 ms of each ADD and DEL on ext4
    /// (<c>ResultCacheWriteBenchmarks</c>).
    /// </remarks>
    internal static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }
        string dir = Path.GetDirectoryName(path)!;
        string temp = TemporaryFor(path);
        if (!PosixFile.TryReplace(path, temp, content, EntryMode))
        {
            // The first entry: libcni makes the directory 0700.
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (!PosixFile.TryReplace(path, temp, content, EntryMode))
            {
                throw new DirectoryNotFoundException($"{dir} disappeared while the cache entry was written");
            }
        }
    }

    /// <summary>The name under which an entry is written before it replaces the one there: <c>.&lt;entry&gt;.tmp</c>.</summary>
    internal static string TemporaryFor(string path) => Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.tmp");

    // 0600: an entry holds the whole network config, which may carry credentials.
    private const int EntryMode = 0x180;

    /// <summary>Reads an entry; <see langword="null"/> when there is none or it cannot be read (logged).</summary>
    public CniCachedAttachment? Read(string network, string containerId, string ifName)
    {
        string path = PathFor(network, containerId, ifName);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not a readable file (a directory, no permission): as good as a corrupt one, and DEL still runs.
            ExecutionLog.CacheUnreadable(_logger, path, e.Message);
            return null;
        }
        CniCachedAttachment? entry = Parse(bytes, path, out string? problem);
        if (entry is null)
        {
            // libcni reads a pre-cniCacheV1 file as a bare result: keep that for old caches.
            if (TryParseLegacy(bytes, network, containerId, ifName, path) is { } legacy)
            {
                return legacy;
            }
            ExecutionLog.CacheUnreadable(_logger, path, problem ?? "unknown format");
        }
        return entry;
    }

    public bool Delete(string network, string containerId, string ifName)
    {
        string path = PathFor(network, containerId, ifName);
        // What a writer killed while replacing the entry left, if anything.
        _ = PosixFile.Unlink(TemporaryFor(path));
        return PosixFile.Unlink(path);
    }

    /// <summary>
    /// Deletes the temporary files of earlier versions' writers (<c>.&lt;entry&gt;.&lt;pid&gt;.&lt;guid&gt;.tmp</c>,
    /// named before the file was written) that were killed between creating and renaming them: those whose process
    /// is gone. GC runs it through <see cref="List"/>.
    /// </summary>
    internal static void RemoveOrphanedTemporaries(string dir)
    {
        string[] temps;
        try
        {
            temps = Directory.GetFiles(dir, ".*.tmp");
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        foreach (string temp in temps)
        {
            string name = Path.GetFileName(temp);
            // .<entry>.<pid>.<guid>.tmp: the pid is the third field from the end.
            string[] fields = name.Split('.');
            if (fields.Length < 5 || fields[^2].Length != 32 || !fields[^2].All(char.IsAsciiHexDigitLower)
                || !int.TryParse(fields[^3], System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out int pid) || Directory.Exists($"/proc/{pid}"))
            {
                continue;
            }
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // Another sweeper got there first.
            }
        }
    }

    /// <summary>Every readable cniCacheV1 entry, in file-name order; optionally only one container's.</summary>
    public IReadOnlyList<CniCachedAttachment> List(string? containerId = null)
    {
        string dir = ResultsDirectory;
        if (!Directory.Exists(dir))
        {
            return [];
        }
        if (containerId is null)
        {
            RemoveOrphanedTemporaries(dir);
        }
        string[] files = Directory.GetFiles(dir);
        Array.Sort(files, StringComparer.Ordinal);
        var list = new List<CniCachedAttachment>();
        foreach (string file in files)
        {
            string name = Path.GetFileName(file);
            if (name.StartsWith('.'))
            {
                continue;
            }
            if (!string.IsNullOrEmpty(containerId) && !name.Contains($"-{containerId}-", StringComparison.Ordinal) &&
                !name.StartsWith(HashedEntryPrefix, StringComparison.Ordinal))
            {
                continue;
            }
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (IOException)
            {
                continue;
            }
            CniCachedAttachment? entry = Parse(bytes, file, out string? problem);
            if (entry is null)
            {
                ExecutionLog.CacheUnreadable(_logger, file, problem ?? "unknown format");
                continue;
            }
            if (!string.IsNullOrEmpty(containerId) && entry.ContainerId != containerId)
            {
                continue;
            }
            list.Add(entry);
        }
        return list;
    }

    internal static CniCachedAttachment? Parse(ReadOnlySpan<byte> bytes, string path, out string? problem)
    {
        problem = null;
        JsonObject? root;
        try
        {
            // libcni writes this file with Go's encoding/json and reads it with Go's key rules: so do we.
            root = CniJson.ParseObject(bytes, "cache file");
        }
        catch (CniException e)
        {
            problem = e.Message;
            return null;
        }
        if (GetString(root, "kind") != KindV1)
        {
            problem = "not a cniCacheV1 file";
            return null;
        }
        string? containerId = GetString(root, "containerId");
        string? ifName = GetString(root, "ifName");
        string? network = GetString(root, "networkName");
        if (string.IsNullOrEmpty(containerId) || string.IsNullOrEmpty(ifName) || string.IsNullOrEmpty(network))
        {
            problem = "containerId, ifName or networkName missing";
            return null;
        }
        byte[] config = [];
        if (GetString(root, "config") is { } b64)
        {
            try
            {
                config = Convert.FromBase64String(b64);
            }
            catch (FormatException)
            {
                problem = "config is not base64";
                return null;
            }
        }
        var args = new List<KeyValuePair<string, string>>();
        if (CniJsonKeys.GetProperty(root, "cniArgs") is JsonArray pairs)
        {
            foreach (JsonNode? pair in pairs)
            {
                if (pair is JsonArray { Count: 2 } kv && CniJson.TryGetString(kv[0], out string? key) && CniJson.TryGetString(kv[1], out string? value))
                {
                    args.Add(new(key, value));
                }
            }
        }
        return new CniCachedAttachment(network, containerId, ifName, GetString(root, "netns"), config, args,
            CniJsonKeys.GetProperty(root, "capabilityArgs") as JsonObject, CniJsonKeys.GetProperty(root, "result") as JsonObject, path);
    }

    private static CniCachedAttachment? TryParseLegacy(ReadOnlySpan<byte> bytes, string network, string containerId,
        string ifName, string path)
    {
        try
        {
            if (JsonNode.Parse(bytes) is JsonObject o && !CniJsonKeys.TryGetProperty(o, "kind", out _) &&
                (CniJsonKeys.TryGetProperty(o, "cniVersion", out _) || CniJsonKeys.TryGetProperty(o, "ips", out _) ||
                 CniJsonKeys.TryGetProperty(o, "ip4", out _)))
            {
                return new CniCachedAttachment(network, containerId, ifName, null, ReadOnlyMemory<byte>.Empty, [], null, o, path);
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    private static string? GetString(JsonObject o, string key) =>
        CniJsonKeys.TryGetString(o, key, out string? s) ? s : null;

    internal static string Describe(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
