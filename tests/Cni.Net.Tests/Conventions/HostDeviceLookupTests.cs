using Cni.Net.Conventions.Links;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Conventions;

/// <summary>
/// host-device's sysfs resolution on a fake <c>/sys</c> laid out as the kernel lays out PCI, virtio, auxiliary and
/// platform devices (no such device can be made in a test). Every path ends in <c>net/lo</c>, the one link the
/// test's namespace surely has, so <see cref="HostDeviceLookup.Find"/> resolves to it over real rtnetlink.
/// </summary>
public sealed class HostDeviceLookupTests : IDisposable
{
    private readonly DirectoryInfo _sys = Directory.CreateTempSubdirectory("cni-fake-sys-");
    private readonly RouteNetlink _rtnl = new();

    public void Dispose()
    {
        _rtnl.Dispose();
        _sys.Delete(recursive: true);
    }

    private void Make(string relative) => Directory.CreateDirectory(Path.Combine(_sys.FullName, relative));

    private HostDeviceLookup Lookup => new(_sys.FullName);

    [Fact]
    public void Find_PciAddress_TakesTheFirstNetEntry()
    {
        Make("bus/pci/devices/0000:03:00.1/net/lo");
        Make("bus/pci/devices/0000:03:00.1/net/zz-not-a-link");
        Assert.Equal("lo", Lookup.Find(_rtnl, null, null, null, "0000:03:00.1", null).Name);
    }

    [Fact]
    public void Find_VirtioPciAddress_LooksBelowTheVirtioDevice()
    {
        Make("bus/pci/devices/0000:00:04.0/virtio1/net/lo");
        Assert.Equal("lo", Lookup.Find(_rtnl, null, null, null, "0000:00:04.0", null).Name);
    }

    [Fact]
    public void Find_PciAddressWithoutNet_IsCode7()
    {
        Make("bus/pci/devices/0000:00:05.0");
        CniException e = Assert.Throws<CniException>(() => Lookup.Find(_rtnl, null, null, null, "0000:00:05.0", null));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Contains("no net directory under pci device 0000:00:05.0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_KernelPath_IsReadUnderTheSysfsRoot()
    {
        Make("devices/pci0000:00/0000:00:1f.6/net/lo");
        Assert.Equal("lo", Lookup.Find(_rtnl, null, null, "/sys/devices/pci0000:00/0000:00:1f.6", null, null).Name);
        Make("devices/platform/empty/net");
        CniException e = Assert.Throws<CniException>(() => Lookup.Find(_rtnl, null, null, "/sys/devices/platform/empty", null, null));
        Assert.Contains("failed to find network device in path", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_AuxiliaryDevice_AndDeviceIdKinds()
    {
        Make("bus/auxiliary/devices/mlx5_core.sf.4/net/lo");
        Make("bus/pci/devices/0000:03:00.2");
        Assert.Equal("lo", Lookup.Find(_rtnl, null, null, null, null, "mlx5_core.sf.4").Name);
        Assert.True(Lookup.IsPciDeviceId("0000:03:00.2"));
        Assert.False(Lookup.IsPciDeviceId("mlx5_core.sf.4"));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, Assert.Throws<CniException>(() => Lookup.IsPciDeviceId("0000:09:00.0")).Code);
    }

    [Theory]
    [InlineData("vfio-pci", true)]
    [InlineData("igb_uio", true)]
    [InlineData("uio_pci_generic", true)]
    [InlineData("ixgbe", false)]
    public void HasUserspaceDriver_ByTheDriverLinksTarget(string driver, bool dpdk)
    {
        Make("bus/pci/drivers/" + driver);
        Make("bus/pci/devices/0000:03:00.1");
        File.CreateSymbolicLink(Path.Combine(_sys.FullName, "bus/pci/devices/0000:03:00.1/driver"), "../../drivers/" + driver);
        Assert.Equal(dpdk, Lookup.HasUserspaceDriver("0000:03:00.1"));
    }

    [Fact]
    public void HasUserspaceDriver_NoDriverLink_IsCode7()
    {
        Make("bus/pci/devices/0000:03:00.1");
        CniException e = Assert.Throws<CniException>(() => Lookup.HasUserspaceDriver("0000:03:00.1"));
        Assert.StartsWith("error with host device", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("02:00:00:00:00:aa", "0200000000AA")]
    [InlineData("02-00-00-00-00-AA", "0200000000AA")]
    [InlineData("0200.0000.00aa", "0200000000AA")]
    public void ParseMac_GoForms(string text, string hex) => Assert.Equal(hex, HostDeviceLookup.ParseMac(text).ToString());

    [Theory]
    [InlineData("02:00:00:00:00")]
    [InlineData("02:00-00:00:00:aa")]
    [InlineData("zz:00:00:00:00:aa")]
    [InlineData("")]
    public void ParseMac_Malformed_IsCode7(string text) =>
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, Assert.Throws<CniException>(() => HostDeviceLookup.ParseMac(text)).Code);
}
