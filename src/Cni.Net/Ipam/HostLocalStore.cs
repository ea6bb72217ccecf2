using Cni.Net.Interop;
using System.Buffers;
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
    private const int MaxOwnerBytes = 1024;
    // getdents64 records of reservation names are about 32 bytes: a few hundred names per call.
    private const int DirectoryBufferBytes = 16 * 1024;
    private const UnixFileMode DirectoryMode0755 =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly FileLock _lock;
    private bool _disposed;

    private HostLocalStore(string directory, FileLock fileLock)
    {
        Directory = directory;
        _lock = fileLock;
    }

    /// <summary>The store's directory, <c>&lt;dataDir&gt;/&lt;network&gt;</c>.</summary>
    public string Directory { get; }

    /// <summary>A reservation file seen by <see cref="Scan"/>: its name (without the NUL), its address and its trimmed content.</summary>
    internal delegate void ReservationVisitor(ReadOnlySpan<byte> name, UInt128 value, bool isIPv6, ReadOnlySpan<byte> owner);

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
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the host-local store is Linux-only");
        }
        string directory = Path.Combine(string.IsNullOrEmpty(dataDirectory) ? DefaultDataDirectory : dataDirectory, network);
        try
        {
            System.IO.Directory.CreateDirectory(directory, DirectoryMode0755);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"cannot create {directory}: {e.Message}", e);
        }
        catch (IOException e) when (File.Exists(directory))
        {
            // .NET says "The file '…' already exists"; say what is wrong with the store.
            throw new IOException($"the host-local store {directory} is a file, not a directory", e);
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
        ArgumentOutOfRangeException.ThrowIfNegative(rangeSetIndex);
        ObjectDisposedException.ThrowIf(_disposed, this);
        string name = IPAddressMath.Format(IPAddressMath.Canonicalize(address));
        if (!PosixFile.TryCreateExclusive(Path.Combine(Directory, name), OwnerBytes(containerId, ifName)))
        {
            return false;
        }
        try
        {
            PosixFile.Overwrite(LastReservedPath(rangeSetIndex), Encoding.ASCII.GetBytes(name));
        }
        catch (IOException)
        {
            // The ADD fails: an address file left behind would be a reservation nobody holds (a full disk blocked
            // the address for good, and the retry failed as a duplicate allocation).
            _ = PosixFile.Unlink(Path.Combine(Directory, name));
            throw;
        }
        return true;
    }

    /// <summary>The address recorded in <c>last_reserved_ip.&lt;rangeSetIndex&gt;</c>, or null when there is none.</summary>
    public IPAddress? GetLastReserved(int rangeSetIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rangeSetIndex);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> buffer = stackalloc byte[64];
        int n = PosixFile.Read(LastReservedPath(rangeSetIndex), buffer);
        if (n <= 0 || n == buffer.Length)
        {
            return null;
        }
        Span<char> text = stackalloc char[64];
        int chars = Encoding.ASCII.GetChars(buffer[..n], text);
        return IPAddress.TryParse(text[..chars].Trim(), out IPAddress? ip) ? IPAddressMath.Canonicalize(ip) : null;
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
        var list = new List<HostLocalReservation>();
        Scan((name, value, isIPv6, owner) =>
        {
            SplitOwner(owner, out string id, out string ifName);
            list.Add(new HostLocalReservation(IPAddressMath.FromValue(value, isIPv6), id, ifName));
        });
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
        byte[] owner = OwnerBytes(containerId, ifName);
        byte[] legacy = Encoding.UTF8.GetBytes(containerId.Trim());
        var found = new List<IPAddress>();
        Scan((name, value, isIPv6, content) =>
        {
            if (content.SequenceEqual(owner) || content.SequenceEqual(legacy))
            {
                found.Add(IPAddressMath.FromValue(value, isIPv6));
            }
        });
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
        byte[] owner = OwnerBytes(containerId, ifName);
        byte[] legacy = Encoding.UTF8.GetBytes(containerId.Trim());
        List<(string Path, IPAddress Address)>? exact = null, old = null;
        Scan((name, value, isIPv6, content) =>
        {
            if (content.SequenceEqual(owner))
            {
                (exact ??= []).Add((PathOf(name), IPAddressMath.FromValue(value, isIPv6)));
            }
            else if (content.SequenceEqual(legacy))
            {
                (old ??= []).Add((PathOf(name), IPAddressMath.FromValue(value, isIPv6)));
            }
        });
        var released = new List<IPAddress>();
        foreach ((string path, IPAddress address) in exact ?? old ?? [])
        {
            if (PosixFile.Unlink(path))
            {
                released.Add(address);
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
        return PosixFile.Unlink(Path.Combine(Directory, IPAddressMath.Format(IPAddressMath.Canonicalize(address))));
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        _disposed = true;
        _lock.Dispose();
    }

    /// <summary>
    /// Visits every reservation file with its address and its content trimmed of white space (the reference
    /// compares trimmed content). Names that are not addresses in the reference's spelling are skipped. The names come
    /// straight from <c>getdents64</c> and each file is opened relative to the directory: per reservation an
    /// <c>openat</c>, a <c>read</c> and a <c>close</c>, and nothing allocated. A reservation's temporary that a killed
    /// writer left (see <see cref="PosixFile.TryCreateExclusive"/>) is removed on the way.
    /// </summary>
    internal void Scan(ReservationVisitor visitor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxOwnerBytes);
        try
        {
            ForEachEntry((directory, nameWithNul, type) =>
            {
                ReadOnlySpan<byte> name = nameWithNul[..^1];
                if (type == DirectoryEntryReader.DirectoryType)
                {
                    return;
                }
                if (!TryParseAddressName(name, out UInt128 value, out bool isIPv6))
                {
                    if (PosixFile.IsTemporary(name))
                    {
                        // Only a writer killed before linking its reservation in leaves one (every writer holds the
                        // lock this store holds), and only where unnamed files cannot be had: gone with the next scan,
                        // which every operation of the plugin runs, rather than with a listing of its own at open.
                        _ = PosixFile.UnlinkAt(directory, nameWithNul);
                    }
                    return;
                }
                int n = PosixFile.ReadSmallAt(directory, nameWithNul, buffer.AsSpan(0, MaxOwnerBytes));
                if (n < 0)
                {
                    return;
                }
                ReadOnlySpan<byte> content = n < MaxOwnerBytes ? buffer.AsSpan(0, n) : File.ReadAllBytes(PathOf(name));
                visitor(name, value, isIPv6, content.Trim(" \t\r\n\v\f"u8));
            });
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private delegate void EntryVisitor(int directory, ReadOnlySpan<byte> nameWithNul, byte type);

    /// <summary>Every entry of the store's directory, with the directory's descriptor for <c>*at</c> calls.</summary>
    private void ForEachEntry(EntryVisitor visitor)
    {
        int directory = PosixFile.OpenDirectory(Directory);
        byte[] records = ArrayPool<byte>.Shared.Rent(DirectoryBufferBytes);
        try
        {
            var reader = new DirectoryEntryReader(directory, Directory, records);
            while (reader.TryRead(out ReadOnlySpan<byte> nameWithNul, out byte type))
            {
                visitor(directory, nameWithNul, type);
            }
        }
        finally
        {
            _ = Cni.Net.Interop.Syscalls.close(directory);
            ArrayPool<byte>.Shared.Return(records);
        }
    }

    private string PathOf(ReadOnlySpan<byte> name) => Path.Combine(Directory, Encoding.UTF8.GetString(name));

    /// <summary>
    /// Whether a file name is an address in the reference's spelling (Go's <c>net.IP.String</c>): IPv4 as four
    /// decimal octets without leading zeros, IPv6 in its canonical text form. "1.2" or "010.0.0.1", which a parser
    /// may accept, name no reservation.
    /// </summary>
    internal static bool TryParseAddressName(ReadOnlySpan<byte> name, out UInt128 value, out bool isIPv6)
    {
        isIPv6 = false;
        if (TryParseCanonicalIPv4(name, out uint v4))
        {
            value = v4;
            return true;
        }
        value = default;
        // Every IPv6 name has a ':'; the longest text form is 45 characters.
        if (name.IndexOf((byte)':') < 0 || name.Length > 45 || !Ascii.IsValid(name))
        {
            return false;
        }
        Span<char> chars = stackalloc char[45];
        int length = Encoding.ASCII.GetChars(name, chars);
        return TryParseAddressName(chars[..length], out value, out isIPv6);
    }

    internal static bool TryParseAddressName(ReadOnlySpan<char> name, out UInt128 value, out bool isIPv6)
    {
        value = default;
        isIPv6 = false;
        // Every address name has a '.' (IPv4) or ':' (IPv6); "lock" has neither.
        if (name.IndexOfAny('.', ':') < 0 || name.StartsWith(LastReservedPrefix, StringComparison.Ordinal)
            || !IPAddress.TryParse(name, out IPAddress? parsed))
        {
            return false;
        }
        isIPv6 = parsed.AddressFamily == AddressFamily.InterNetworkV6;
        value = IPAddressMath.ToValue(parsed);
        // Only names spelled the way the reference spells them count: "1.2" would parse as 1.0.0.2.
        Span<char> canonical = stackalloc char[40];
        int length = IPAddressMath.Format(value, isIPv6, canonical);
        return (parsed.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            && name.SequenceEqual(canonical[..length]);
    }

    private static bool TryParseCanonicalIPv4(ReadOnlySpan<byte> name, out uint value)
    {
        value = 0;
        int i = 0;
        for (int octets = 1; ; octets++)
        {
            int start = i;
            uint octet = 0;
            while (i < name.Length && (uint)(name[i] - '0') <= 9 && i - start < 3)
            {
                octet = octet * 10 + (uint)(name[i] - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || octet > 255 || (digits > 1 && name[start] == '0'))
            {
                return false;
            }
            value = (value << 8) | octet;
            if (octets == 4)
            {
                return i == name.Length;
            }
            if (i >= name.Length || name[i] != '.')
            {
                return false;
            }
            i++;
        }
    }

    private string LastReservedPath(int rangeSetIndex) =>
        Path.Combine(Directory, LastReservedPrefix + rangeSetIndex.ToString(CultureInfo.InvariantCulture));

    private static byte[] OwnerBytes(string containerId, string ifName) =>
        Encoding.UTF8.GetBytes(containerId.Trim() + LineBreak + ifName);

    private static void SplitOwner(ReadOnlySpan<byte> owner, out string containerId, out string ifName)
    {
        int br = owner.IndexOf("\r\n"u8);
        if (br < 0)
        {
            containerId = Encoding.UTF8.GetString(owner);
            ifName = string.Empty;
        }
        else
        {
            containerId = Encoding.UTF8.GetString(owner[..br]);
            ifName = Encoding.UTF8.GetString(owner[(br + 2)..]);
        }
    }
}
