using System.Net.NetworkInformation;
using System.Text.Json;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Conventions;

/// <summary>
/// What the tuning plugin changed on a pod interface, saved before the change so that DEL can put it back — in the
/// reference plugin's file (<c>&lt;dataDir&gt;/&lt;containerId&gt;_&lt;ifName&gt;.json</c>, keys <c>mac</c>,
/// <c>promisc</c>, <c>mtu</c>, <c>allmulti</c>, <c>txQLen</c>), so either plugin restores what the other saved.
/// </summary>
public sealed class LinkSettingsBackup
{
    /// <summary>The reference plugin's data directory.</summary>
    public const string DefaultDataDirectory = "/run/cni/tuning";

    /// <summary>The MAC address before the change (<c>aa:bb:…</c>), or null when the MAC is not changed.</summary>
    public string? Mac { get; set; }

    /// <summary>The promiscuous mode before the change, or null when it is not changed.</summary>
    public bool? Promiscuous { get; set; }

    /// <summary>The MTU before the change, or 0 when it is not changed.</summary>
    public int Mtu { get; set; }

    /// <summary>The all-multicast mode before the change, or null when it is not changed.</summary>
    public bool? AllMulticast { get; set; }

    /// <summary>The transmit queue length before the change, or null when it is not changed.</summary>
    public int? TxQueueLength { get; set; }

    /// <summary>Whether anything is recorded.</summary>
    public bool IsEmpty => Mac is null && Promiscuous is null && Mtu == 0 && AllMulticast is null && TxQueueLength is null;

    /// <summary>The file of one attachment.</summary>
    /// <param name="dataDirectory">The data directory (<c>dataDir</c>).</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="ifName">The pod interface.</param>
    /// <returns>The path.</returns>
    public static string FilePath(string dataDirectory, string containerId, string ifName) =>
        Path.Combine(dataDirectory, containerId + "_" + ifName + ".json");

    /// <summary>Records the current value of each setting that is about to change.</summary>
    /// <param name="link">The interface as it is now.</param>
    /// <param name="mac">The MAC will change.</param>
    /// <param name="promiscuous">Promiscuous mode will change.</param>
    /// <param name="mtu">The MTU will change.</param>
    /// <param name="allMulticast">All-multicast mode will change.</param>
    /// <param name="txQueueLength">The queue length will change.</param>
    /// <returns>The backup.</returns>
    public static LinkSettingsBackup Capture(LinkInfo link, bool mac, bool promiscuous, bool mtu, bool allMulticast, bool txQueueLength)
    {
        ArgumentNullException.ThrowIfNull(link);
        return new LinkSettingsBackup
        {
            Mac = mac ? CniInterface.FormatMac(link.MacAddress) : null,
            Promiscuous = promiscuous ? (link.Flags & InterfaceFlags.Promiscuous) != 0 : null,
            Mtu = mtu ? link.Mtu : 0,
            AllMulticast = allMulticast ? (link.Flags & InterfaceFlags.AllMulticast) != 0 : null,
            TxQueueLength = txQueueLength ? (int)link.TxQueueLength : null,
        };
    }

    /// <summary>Writes the file (mode 0600, the directory created when missing), atomically.</summary>
    /// <param name="path">The file (<see cref="FilePath"/>).</param>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentSize = 1 }))
        {
            // Go's json.MarshalIndent(v, "", " ") with the reference struct's field order and omitempty.
            w.WriteStartObject();
            if (!string.IsNullOrEmpty(Mac))
            {
                w.WriteString("mac", Mac);
            }
            if (Promiscuous is bool p)
            {
                w.WriteBoolean("promisc", p);
            }
            if (Mtu != 0)
            {
                w.WriteNumber("mtu", Mtu);
            }
            if (AllMulticast is bool a)
            {
                w.WriteBoolean("allmulti", a);
            }
            if (TxQueueLength is int q)
            {
                w.WriteNumber("txQLen", q);
            }
            w.WriteEndObject();
        }
        string temp = path + ".tmp" + Environment.ProcessId;
        using (var file = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads a backup; null when the file is missing or unreadable JSON (the reference ignores those too).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The backup, or null.</returns>
    public static LinkSettingsBackup? Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        try
        {
            using JsonDocument doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var backup = new LinkSettingsBackup();
            // Go's decoder: keys case-insensitively, the last duplicate winning.
            foreach (JsonProperty property in doc.RootElement.EnumerateObject())
            {
                switch (property.Name.ToUpperInvariant())
                {
                    case "MAC":
                        backup.Mac = property.Value.GetString();
                        break;
                    case "PROMISC":
                        backup.Promiscuous = property.Value.GetBoolean();
                        break;
                    case "MTU":
                        backup.Mtu = property.Value.GetInt32();
                        break;
                    case "ALLMULTI":
                        backup.AllMulticast = property.Value.GetBoolean();
                        break;
                    case "TXQLEN":
                        backup.TxQueueLength = property.Value.GetInt32();
                        break;
                }
            }
            return backup;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Puts the recorded settings back on the interface (MTU, MAC, promiscuous, all-multicast, queue length, in the
    /// reference's order); every failure is collected and reported together.
    /// </summary>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="index">The interface.</param>
    /// <returns>The failures, empty when all went back.</returns>
    public IReadOnlyList<string> Restore(RouteNetlink pod, int index)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var errors = new List<string>();
        void Try(string what, Action action)
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is Netlink.NetlinkException or FormatException or ArgumentException)
            {
                errors.Add($"failed to restore {what}: {e.Message}");
            }
        }
        if (Mtu != 0)
        {
            Try("MTU", () => pod.SetLinkMtu(index, Mtu));
        }
        if (!string.IsNullOrEmpty(Mac))
        {
            Try("MAC address", () => pod.SetLinkMacAddress(index, PhysicalAddress.Parse(Mac.Replace(':', '-'))));
        }
        if (Promiscuous is bool p)
        {
            Try("promiscuous mode", () => pod.SetLinkPromiscuous(index, p));
        }
        if (AllMulticast is bool a)
        {
            Try("all-multicast mode", () => pod.SetLinkAllMulticast(index, a));
        }
        if (TxQueueLength is int q)
        {
            Try("transmit queue length", () => pod.SetLinkTxQueueLength(index, (uint)q));
        }
        return errors;
    }
}
