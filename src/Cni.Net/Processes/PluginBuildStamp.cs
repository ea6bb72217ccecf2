using Cni.Net.Interop;

namespace Cni.Net.Processes;

/// <summary>
/// Which plugin binaries came out of one build. <c>eng/publish.sh</c> appends the same stamp to every plugin it
/// publishes: 16 random bytes chosen once per publish, then the 8 bytes <c>CNINETB1</c>, after the end of the ELF
/// image, where the loader never looks (<c>strip</c> drops it, and a stripped copy is then just another binary). Two
/// binaries with the same stamp were compiled from the same sources by the same compiler, so a plugin that has a
/// delegate's handler compiled in may run that handler instead of exec'ing the delegate's binary: the result is the
/// one the binary would have given.
/// </summary>
internal static class PluginBuildStamp
{
    /// <summary>The stamp's length: the token, then <see cref="Magic"/>.</summary>
    public const int Length = TokenLength + 8;

    private const int TokenLength = 16;

    private static ReadOnlySpan<byte> Magic => "CNINETB1"u8;

    /// <summary>The image this process runs.</summary>
    public const string OwnImage = "/proc/self/exe";

    /// <summary>
    /// Whether the file at <paramref name="path"/> carries the stamp of <paramref name="image"/> — this process's own
    /// (<see cref="OwnImage"/>, read once) unless a test names another; false when that image has none.
    /// </summary>
    public static bool IsSameBuild(string path, string image = OwnImage)
    {
        byte[]? own = image == OwnImage ? OwnStamp.Value : Read(image);
        if (own is null)
        {
            return false;
        }
        Span<byte> other = stackalloc byte[Length];
        return TryRead(path, other) && other.SequenceEqual(own);
    }

    /// <summary>Reads the stamp at the end of <paramref name="path"/>.</summary>
    /// <returns>false when the file cannot be read or ends in no stamp.</returns>
    public static bool TryRead(string path, Span<byte> stamp) =>
        PosixFile.TryReadTail(path, stamp[..Length]) && stamp.Slice(TokenLength, Magic.Length).SequenceEqual(Magic);

    // Read once per process, from the image the process runs (/proc/self/exe names it even if the file was
    // replaced on disk since).
    private static class OwnStamp
    {
        public static readonly byte[]? Value = Read(OwnImage);
    }

    private static byte[]? Read(string path)
    {
        byte[] stamp = new byte[Length];
        return TryRead(path, stamp) ? stamp : null;
    }
}
