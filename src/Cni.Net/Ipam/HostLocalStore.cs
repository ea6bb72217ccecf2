using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cni.Net.Ipam;

/// <summary>
/// The host-local plugin's on-disk store, byte-compatible with the reference plugin: <c>&lt;dataDir&gt;/&lt;network&gt;/</c>
/// holds one file per reserved address, named by the address and containing <c>&lt;containerID&gt;\r\n&lt;ifname&gt;</c>,
/// a <c>last_reserved_ip.&lt;rangeSetIndex&gt;</c> file per range set, and a <c>lock</c> file. Opening a store takes an
/// exclusive <c>flock</c> on that file, held until <see cref="Dispose"/>, so one store object is one operation.
/// </summary>
public sealed class HostLocalStore : IDisposable
{
    /// <summary>The reference plugin's default data directory.</summary>
    public const string DefaultDataDirectory = "/var/lib/cni/networks";

    private const string LastReservedPrefix = "last_reserved_ip.";
    private const string LineBreak = "\r\n";
    private const UnixFileMode FileMode0644 =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode DirectoryMode0755 = FileMode0644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly FileLock _lock;
    private bool _disposed;

    private HostLocalStore(string directory, FileLock fileLock)
    {
        Directory = directory;
        _lock = fileLock;
    }

    /// <summary>The store's directory, <c>&lt;dataDir&gt;/&lt;network&gt;</c>.</summary>
    public string Directory { get; }

    /// <summary>
    /// Opens (creating when missing) the store of <paramref name="network"/> and waits for its lock.
    /// </summary>
    /// <param name="network">The network name; it becomes a directory name.</param>
    /// <param name="dataDirectory">The <c>dataDir</c> key; null or empty means <see cref="DefaultDataDirectory"/>.</param>
    /// <exception cref="ArgumentException">The network name is empty or would leave the data directory.</exception>
    /// <exception cref="IOException">The directory or the lock file cannot be created or locked.</exception>
    public static HostLocalStore Open(string network, string? dataDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(network);
        if (network.Contains('/', StringComparison.Ordinal) || network is "." or "..")
        {
            throw new ArgumentException($"network name '{network}' cannot be used as a directory name", nameof(network));
        }
        string directory = Path.Combine(string.IsNullOrEmpty(dataDirectory) ? DefaultDataDirectory : dataDirectory, network);
        try
        {
            if (OperatingSystem.IsWindows())
            {
                throw new PlatformNotSupportedException("the host-local store is Linux-only");
            }
            System.IO.Directory.CreateDirectory(directory, DirectoryMode0755);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"cannot create {directory}: {e.Message}", e);
        }
        return new HostLocalStore(directory, FileLock.Acquire(Path.Combine(directory, "lock")));
    }

    /// <summary>
    /// Reserves <paramref name="address"/> for an attachment when no one holds it, and records it as the range
    /// set's last reserved address (the reference plugin does both).
    /// </summary>
    /// <returns>false when the address is already reserved.</returns>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public bool TryReserve(IPAddress address, string containerId, string ifName, int rangeSetIndex)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(containerId);
        ArgumentNullException.ThrowIfNull(ifName);
        ObjectDisposedException.ThrowIf(_disposed, this);
        string name = IPAddressMath.Format(IPAddressMath.Canonicalize(address));
        string path = Path.Combine(Directory, name);
        byte[] content = Encoding.UTF8.GetBytes(containerId.Trim() + LineBreak + ifName);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode0644;
        }
        FileStream file;
        try
        {
            file = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        try
        {
            using (file)
            {
                file.Write(content);
            }
        }
        catch
        {
            // A half-written reservation would block the address for good; the reference removes it too.
            File.Delete(path);
            throw;
        }
        File.WriteAllText(Path.Combine(Directory, LastReservedPrefix + rangeSetIndex.ToString(CultureInfo.InvariantCulture)), name);
        return true;
    }

    /// <summary>The address recorded in <c>last_reserved_ip.&lt;rangeSetIndex&gt;</c>, or null when there is none.</summary>
    public IPAddress? GetLastReserved(int rangeSetIndex)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        string path = Path.Combine(Directory, LastReservedPrefix + rangeSetIndex.ToString(CultureInfo.InvariantCulture));
        try
        {
            return IPAddress.TryParse(File.ReadAllText(path).AsSpan().Trim(), out IPAddress? ip) ? IPAddressMath.Canonicalize(ip) : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Whether a file reserves <paramref name="address"/>.</summary>
    internal bool IsReserved(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return File.Exists(Path.Combine(Directory, IPAddressMath.Format(IPAddressMath.Canonicalize(address))));
    }

    /// <summary>Every reservation in the store, in no particular order; files that are not addresses are skipped.</summary>
    public IReadOnlyList<HostLocalReservation> ListReservations()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var list = new List<HostLocalReservation>();
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory))
        {
            if (!TryParseAddressName(path, out IPAddress? address) || !TryReadOwner(path, out string id, out string ifName))
            {
                continue;
            }
            list.Add(new HostLocalReservation(address, id, ifName));
        }
        return list;
    }

    /// <summary>
    /// The addresses held by an attachment. Files that hold only the container id (older reference plugins) match
    /// any interface name, as in the reference plugin.
    /// </summary>
    public IReadOnlyList<IPAddress> GetByAttachment(string containerId, string ifName)
    {
        ArgumentNullException.ThrowIfNull(containerId);
        ArgumentNullException.ThrowIfNull(ifName);
        var found = new List<IPAddress>();
        foreach (HostLocalReservation r in ListReservations())
        {
            if (Matches(r, containerId.Trim(), ifName) || (r.IfName.Length == 0 && r.ContainerId == containerId.Trim()))
            {
                found.Add(r.Address);
            }
        }
        return found;
    }

    /// <summary>
    /// Releases every address held by the attachment (container id + interface name); when none matches, releases
    /// the addresses of files holding only the container id, as the reference plugin does for its old format.
    /// Releasing nothing is not an error: DEL must be repeatable.
    /// </summary>
    /// <returns>The released addresses.</returns>
    public IReadOnlyList<IPAddress> Release(string containerId, string ifName)
    {
        ArgumentNullException.ThrowIfNull(containerId);
        ArgumentNullException.ThrowIfNull(ifName);
        string id = containerId.Trim();
        IReadOnlyList<HostLocalReservation> all = ListReservations();
        var released = new List<IPAddress>();
        foreach (HostLocalReservation r in all)
        {
            if (Matches(r, id, ifName) && Delete(r.Address))
            {
                released.Add(r.Address);
            }
        }
        if (released.Count == 0)
        {
            foreach (HostLocalReservation r in all)
            {
                if (r.IfName.Length == 0 && r.ContainerId == id && Delete(r.Address))
                {
                    released.Add(r.Address);
                }
            }
        }
        return released;
    }

    /// <summary>Removes the reservation of one address, whoever holds it.</summary>
    /// <returns>false when it was not reserved.</returns>
    public bool ReleaseAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Delete(IPAddressMath.Canonicalize(address));
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        _disposed = true;
        _lock.Dispose();
    }

    private static bool Matches(HostLocalReservation r, string id, string ifName) =>
        r.IfName.Length != 0 && r.ContainerId == id && r.IfName == ifName;

    private bool Delete(IPAddress address)
    {
        string path = Path.Combine(Directory, IPAddressMath.Format(address));
        if (!File.Exists(path))
        {
            return false;
        }
        File.Delete(path);
        return true;
    }

    internal static bool TryParseAddressName(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
    {
        ReadOnlySpan<char> name = Path.GetFileName(path.AsSpan());
        address = null;
        // Cheap pre-check: every address name has a '.' (IPv4) or ':' (IPv6); "lock" and "last_reserved_ip.0" fail parsing.
        if (name.IndexOfAny('.', ':') < 0 || !IPAddress.TryParse(name, out IPAddress? parsed))
        {
            return false;
        }
        // Only names written the way the reference writes them count: "1.2" would parse as 1.0.0.2.
        if (parsed.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            || !name.SequenceEqual(IPAddressMath.Format(parsed)))
        {
            return false;
        }
        address = IPAddressMath.Canonicalize(parsed);
        return true;
    }

    private static bool TryReadOwner(string path, out string containerId, out string ifName)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            containerId = ifName = string.Empty;
            return false;
        }
        // The reference compares trimmed content with "<id>\r\n<ifname>" (or "<id>" alone for its old format).
        ReadOnlySpan<char> content = text.AsSpan().Trim();
        int br = content.IndexOf(LineBreak, StringComparison.Ordinal);
        if (br < 0)
        {
            containerId = content.ToString();
            ifName = string.Empty;
        }
        else
        {
            containerId = content[..br].ToString();
            ifName = content[(br + LineBreak.Length)..].ToString();
        }
        return true;
    }
}
