using Cni.Net.Processes;

namespace Cni.Net.Tests.Execution;

public sealed class PluginBuildStampTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("cni-stamp-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(byte[] content)
    {
        string path = Path.Combine(_dir.FullName, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void TryRead_StampAfterTheImage_ReturnsIt()
    {
        byte[] token = [.. Enumerable.Range(1, 16).Select(i => (byte)i)];
        string path = Write([.. new byte[5000], .. token, .. "CNINETB1"u8]);
        Span<byte> stamp = stackalloc byte[PluginBuildStamp.Length];

        Assert.True(PluginBuildStamp.TryRead(path, stamp));
        Assert.Equal(token, stamp[..16].ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(23)]
    public void TryRead_FileShorterThanAStamp_False(int length)
    {
        byte[] content = new byte[length];
        if (length >= 8)
        {
            "CNINETB1"u8.CopyTo(content.AsSpan(length - 8));
        }
        Assert.False(PluginBuildStamp.TryRead(Write(content), stackalloc byte[PluginBuildStamp.Length]));
    }

    [Fact]
    public void TryRead_NoMagic_OrNoFile_False()
    {
        Assert.False(PluginBuildStamp.TryRead(Write([.. new byte[100], .. "CNINETB2"u8]), stackalloc byte[PluginBuildStamp.Length]));
        Assert.False(PluginBuildStamp.TryRead(Path.Combine(_dir.FullName, "missing"), stackalloc byte[PluginBuildStamp.Length]));
    }

    [Fact]
    public void IsSameBuild_UnstampedProcess_NeverTrue()
    {
        // The test host is not a published plugin: it has no stamp, so no file is of its build, whatever the file ends in.
        Assert.False(PluginBuildStamp.IsSameBuild(Write([.. new byte[16], .. "CNINETB1"u8])));
        Assert.False(PluginBuildStamp.IsSameBuild("/proc/self/exe"));
    }
}
