namespace Cni.Net.Tests.Ipam;

/// <summary>A throwaway dataDir under /tmp, deleted with everything in it on dispose.</summary>
internal sealed class TempDataDirectory : IDisposable
{
    public TempDataDirectory()
    {
        Path = Directory.CreateTempSubdirectory("cni-net-ipam-").FullName;
    }

    public string Path { get; }

    public string NetworkPath(string network) => System.IO.Path.Combine(Path, network);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
