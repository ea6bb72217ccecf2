using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Regressions;

/// <summary>A runtime's user reads CNI words, not the name of a C# parameter.</summary>
public class PluginErrorMessageTests
{
    [Fact]
    public void ArgumentException_MessageWithoutParameterSuffix_Code7()
    {
        CniException e = CniPluginHost.ToCniException(new ArgumentException("a netfilter comment holds at most 255 bytes", "text"));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Equal("a netfilter comment holds at most 255 bytes", e.Message);
    }

    [Fact]
    public void ArgumentOutOfRange_MessageWithoutParameterSuffix()
    {
        CniException e = CniPluginHost.ToCniException(new ArgumentOutOfRangeException("rangeSets", "ranges: the list is empty"));
        Assert.DoesNotContain("(Parameter", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("ranges: the list is empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostLocalStore_NetworkDirectoryIsAFile_SaysSoWithThePath_Code5()
    {
        string dataDir = Directory.CreateTempSubdirectory("cni-store-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dataDir, "net1"), "not a directory");
            IOException io = Assert.Throws<IOException>(() => Cni.Net.Ipam.HostLocalStore.Open("net1", dataDir));
            CniException e = CniPluginHost.ToCniException(io);
            Assert.Equal(CniErrorCode.IOFailure, e.Code);
            Assert.Equal($"the host-local store {Path.Combine(dataDir, "net1")} is a file, not a directory", e.Message);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
