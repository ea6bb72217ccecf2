using System.Net.NetworkInformation;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Conventions.Links;

/// <summary>
/// Finds the node link the host-device plugin hands to a pod, by the reference plugin's keys: a name, a MAC
/// address, a kernel device path, a PCI address or an auxiliary-bus device, the last three resolved through sysfs
/// (the first entry of the device's <c>net/</c> directory, as the reference takes it).
/// </summary>
/// <remarks>
/// sysfs shows the links of the namespace that mounted it; a plugin that runs in the node's namespace with the
/// node's <c>/sys</c> sees the right ones, as the reference does.
/// </remarks>
public sealed class HostDeviceLookup
{
    /// <summary>Drivers that take a PCI function away from the kernel's network stack (DPDK): no link to move.</summary>
    private static readonly string[] s_userspaceDrivers = ["vfio-pci", "uio_pci_generic", "igb_uio"];

    /// <summary>A lookup in the machine's <c>/sys</c>.</summary>
    public HostDeviceLookup()
        : this("/sys")
    {
    }

    /// <summary>A lookup in a sysfs mounted (or laid out, for tests) at <paramref name="sysfsRoot"/>.</summary>
    /// <param name="sysfsRoot">The directory that stands for <c>/sys</c>.</param>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public HostDeviceLookup(string sysfsRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(sysfsRoot);
        SysfsRoot = sysfsRoot;
    }

    /// <summary>The directory that stands for <c>/sys</c>.</summary>
    public string SysfsRoot { get; }

    private string PciDevices => Path.Combine(SysfsRoot, "bus", "pci", "devices");

    private string AuxiliaryDevices => Path.Combine(SysfsRoot, "bus", "auxiliary", "devices");

    /// <summary>
    /// What <c>runtimeConfig.deviceID</c> (a device plugin's allocation) names: a PCI address when
    /// <c>/sys/bus/pci/devices/&lt;id&gt;</c> exists, else an auxiliary device when
    /// <c>/sys/bus/auxiliary/devices/&lt;id&gt;</c> does.
    /// </summary>
    /// <param name="deviceId">The device id.</param>
    /// <returns>Whether the id is a PCI address (else an auxiliary device).</returns>
    /// <exception cref="CniException">Neither exists (code 7).</exception>
    public bool IsPciDeviceId(string deviceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        if (Path.Exists(Path.Combine(PciDevices, deviceId)))
        {
            return true;
        }
        if (Path.Exists(Path.Combine(AuxiliaryDevices, deviceId)))
        {
            return false;
        }
        throw new CniException(CniErrorCode.InvalidNetworkConfig, $"runtime config DeviceID {deviceId} not found or unsupported");
    }

    /// <summary>Whether the PCI function is bound to a userspace (DPDK) driver: vfio-pci, uio_pci_generic or igb_uio.</summary>
    /// <param name="pciAddress">The PCI address (<c>0000:03:00.1</c>).</param>
    /// <returns>Whether there is no kernel link to move.</returns>
    /// <exception cref="CniException">The device has no driver link (code 7).</exception>
    public bool HasUserspaceDriver(string pciAddress)
    {
        ArgumentException.ThrowIfNullOrEmpty(pciAddress);
        string driverLink = Path.Combine(PciDevices, pciAddress, "driver");
        FileSystemInfo? driver;
        try
        {
            driver = Directory.ResolveLinkTarget(driverLink, returnFinalTarget: true) ?? new DirectoryInfo(driverLink);
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"error with host device: {e.Message}", null, e);
        }
        if (!driver.Exists)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"error with host device: {driverLink}: no such file or directory");
        }
        return s_userspaceDrivers.Contains(driver.Name, StringComparer.Ordinal);
    }

    /// <summary>Finds the link by the first key that is set, in the reference's order: name, MAC, kernel path, PCI address, auxiliary device.</summary>
    /// <param name="node">rtnetlink in the node's namespace.</param>
    /// <param name="device">The link's name.</param>
    /// <param name="hardwareAddress">The link's MAC address.</param>
    /// <param name="kernelPath">The device's path under <c>/sys/devices/</c>.</param>
    /// <param name="pciAddress">The device's PCI address.</param>
    /// <param name="auxiliaryDevice">The device's name on the auxiliary bus.</param>
    /// <returns>The link.</returns>
    /// <exception cref="CniException">Nothing is set, a value is malformed or names no link (code 7).</exception>
    public LinkInfo Find(RouteNetlink node, string? device, string? hardwareAddress, string? kernelPath, string? pciAddress, string? auxiliaryDevice)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!string.IsNullOrEmpty(device))
        {
            return ByName(node, device);
        }
        if (!string.IsNullOrEmpty(hardwareAddress))
        {
            PhysicalAddress mac = ParseMac(hardwareAddress);
            return node.ListLinks().FirstOrDefault(l => l.MacAddress is { } a && a.Equals(mac))
                ?? throw NotFound($"no link has the MAC address {hardwareAddress}");
        }
        if (!string.IsNullOrEmpty(kernelPath))
        {
            if (!Path.IsPathRooted(kernelPath) || !kernelPath.StartsWith("/sys/devices/", StringComparison.Ordinal))
            {
                throw NotFound($"kernel device path \"{kernelPath}\" must be absolute and begin with /sys/devices/");
            }
            return FromNetDirectory(node, Path.Combine(SysfsRoot, kernelPath["/sys/".Length..], "net"));
        }
        if (!string.IsNullOrEmpty(pciAddress))
        {
            string net = Path.Combine(PciDevices, pciAddress, "net");
            if (!Path.Exists(net))
            {
                // virtio-net: the netdev hangs off the virtio device below the PCI function.
                string function = Path.Combine(PciDevices, pciAddress);
                string? virtio = Directory.Exists(function)
                    ? Directory.GetDirectories(function, "virtio*").Order(StringComparer.Ordinal).Select(d => Path.Combine(d, "net")).FirstOrDefault(Path.Exists)
                    : null;
                net = virtio ?? throw NotFound($"no net directory under pci device {pciAddress}");
            }
            return FromNetDirectory(node, net);
        }
        if (!string.IsNullOrEmpty(auxiliaryDevice))
        {
            return FromNetDirectory(node, Path.Combine(AuxiliaryDevices, auxiliaryDevice, "net"));
        }
        throw NotFound("failed to find physical interface");
    }

    /// <summary>Parses a MAC address as Go's <c>net.ParseMAC</c> does for 6 bytes (<c>:</c>, <c>-</c> or dotted form).</summary>
    /// <param name="text">The address.</param>
    /// <returns>The address.</returns>
    /// <exception cref="CniException">It is not a 6-byte MAC address (code 7).</exception>
    public static PhysicalAddress ParseMac(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? hex = text.Length switch
        {
            17 when text[2] is ':' or '-' && Enumerable.Range(1, 5).All(i => text[(i * 3) - 1] == text[2]) => text.Replace(text[2].ToString(), "", StringComparison.Ordinal),
            14 when text[4] == '.' && text[9] == '.' => text.Replace(".", "", StringComparison.Ordinal),
            _ => null,
        };
        if (hex is { Length: 12 } && hex.All(char.IsAsciiHexDigit))
        {
            return new PhysicalAddress(Convert.FromHexString(hex));
        }
        throw new CniException(CniErrorCode.InvalidNetworkConfig, $"failed to find host device: failed to parse MAC address \"{text}\"");
    }

    private static LinkInfo FromNetDirectory(RouteNetlink node, string net)
    {
        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries(net);
        }
        catch (IOException e)
        {
            throw NotFound($"failed to read directory {net}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw NotFound($"failed to read directory {net}: {e.Message}");
        }
        // Go's os.ReadDir sorts by name and the reference takes the first.
        string first = entries.Select(Path.GetFileName).Order(StringComparer.Ordinal).FirstOrDefault()
            ?? throw NotFound($"failed to find network device in path {net}");
        return ByName(node, first!);
    }

    private static LinkInfo ByName(RouteNetlink node, string name) =>
        name.Length is > 0 and <= 15 && node.TryGetLink(name, out LinkInfo? link) ? link : throw NotFound($"link \"{name}\" not found");

    private static CniException NotFound(string problem) =>
        new(CniErrorCode.InvalidNetworkConfig, "failed to find host device: " + problem);
}
