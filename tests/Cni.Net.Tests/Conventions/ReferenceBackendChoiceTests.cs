using Cni.Net.Conventions;

namespace Cni.Net.Tests.Conventions;

public sealed class ReferenceBackendChoiceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cni-path-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Resolve_Configured_WinsAndIsValidated()
    {
        Assert.Equal("nftables", ReferenceBackendChoice.Resolve("nftables", path: ""));
        Assert.Equal("iptables", ReferenceBackendChoice.Resolve("iptables", path: ""));
        Assert.Equal("unrecognized backend \"ebtables\" (iptables or nftables)",
            Assert.Throws<ArgumentException>(() => ReferenceBackendChoice.Resolve("ebtables")).Message);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Resolve_Default_IsIptablesWhenAnExecutableIptablesIsOnThePath()
    {
        string iptables = Path.Combine(_dir, "iptables");
        File.WriteAllText(iptables, "#!/bin/sh\n");
        File.SetUnixFileMode(iptables, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.False(ReferenceBackendChoice.IptablesOnPath("/nonexistent:" + _dir));
        File.SetUnixFileMode(iptables, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.True(ReferenceBackendChoice.IptablesOnPath("/nonexistent:" + _dir));
        Assert.Equal("iptables", ReferenceBackendChoice.Resolve(null, "/nonexistent:" + _dir));
    }
}
