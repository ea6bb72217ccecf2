using Cni.Net.Execution;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Execution;

public sealed class CniPluginLocatorTests : IDisposable
{
    private readonly string _a = Directory.CreateTempSubdirectory("cni-loc-a-").FullName;
    private readonly string _b = Directory.CreateTempSubdirectory("cni-loc-b-").FullName;

    public void Dispose()
    {
        Directory.Delete(_a, true);
        Directory.Delete(_b, true);
    }

    private static string Put(string dir, string name, bool executable)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, executable ? UnixFileMode.UserRead | UnixFileMode.UserExecute : UnixFileMode.UserRead);
        return path;
    }

    [Fact]
    public void Find_FirstDirectoryWithAnExecutableWins()
    {
        Put(_a, "p", executable: true);
        Put(_b, "p", executable: true);
        Assert.Equal(Path.Combine(_a, "p"), CniPluginLocator.Find("p", [_a, _b]));
    }

    [Fact]
    public void Find_SkipsNonExecutableFilesAndDirectories()
    {
        Put(_a, "p", executable: false);
        Directory.CreateDirectory(Path.Combine(_a, "q"));
        Put(_b, "p", executable: true);
        Put(_b, "q", executable: true);
        Assert.Equal(Path.Combine(_b, "p"), CniPluginLocator.Find("p", [_a, _b]));
        Assert.Equal(Path.Combine(_b, "q"), CniPluginLocator.Find("q", ["", _a, _b]));
    }

    [Fact]
    public void Find_NotFound_Code7NamingEveryDirectory()
    {
        var ex = Assert.Throws<CniException>(() => CniPluginLocator.Find("bridge", [_a, _b, "/nonexistent"]));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, ex.Code);
        Assert.Equal($"failed to find plugin \"bridge\": not found in CNI_PATH ({_a}:{_b}:/nonexistent)", ex.Message);
        Assert.IsType<FileNotFoundException>(ex.InnerException);
        Assert.Equal("failed to find plugin \"bridge\": not found in CNI_PATH (empty)",
            Assert.Throws<CniException>(() => CniPluginLocator.Find("bridge", [])).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../bridge")]
    [InlineData("sub/bridge")]
    [InlineData("/usr/lib/cni/bridge")]
    [InlineData("a..b")]
    [InlineData("nul\0")]
    public void Find_TypeThatIsNotABareFileName_Code7WithoutLooking(string type)
    {
        Put(_a, "bridge", executable: true);
        var ex = Assert.Throws<CniException>(() => CniPluginLocator.Find(type, [_a]));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, ex.Code);
        Assert.StartsWith("invalid plugin type", ex.Message, StringComparison.Ordinal);
    }
}
