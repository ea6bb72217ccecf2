using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace Cni.Net.IntegrationTests.Cri;

/// <summary>
/// The sandbox ("pause") image, built here because no registry is reachable: an OCI image layout tarball with one
/// uncompressed layer holding Debian's static busybox, whose entrypoint sleeps until the runtime kills it.
/// <c>ctr images import</c> names it from the <c>io.containerd.image.name</c> annotation of the index.
/// </summary>
internal static class PauseImage
{
    public const string Name = "localhost/cni-net/pause:1";

    public const string Busybox = "/bin/busybox";

    /// <summary>Writes the image tarball to <paramref name="path"/>.</summary>
    public static void Write(string path)
    {
        byte[] layer = Layer();
        string layerDigest = Digest(layer);
        byte[] config = Encoding.UTF8.GetBytes(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/bin/busybox\",\"sleep\",\"2147483647\"]}," +
            "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layerDigest + "\"]}}");
        byte[] manifest = Encoding.UTF8.GetBytes(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," +
            "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest(config) + "\",\"size\":" + config.Length + "}," +
            "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layerDigest + "\",\"size\":" + layer.Length + "}]}");
        byte[] index = Encoding.UTF8.GetBytes(
            "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + Digest(manifest) +
            "\",\"size\":" + manifest.Length + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}," +
            "\"annotations\":{\"io.containerd.image.name\":\"" + Name + "\",\"org.opencontainers.image.ref.name\":\"1\"}}]}");

        using FileStream file = File.Create(path);
        using var tar = new TarWriter(file, TarEntryFormat.Pax);
        Add(tar, "oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
        Add(tar, "index.json", index);
        foreach (byte[] blob in new[] { layer, config, manifest })
        {
            Add(tar, "blobs/sha256/" + Digest(blob)["sha256:".Length..], blob);
        }
    }

    private static byte[] Layer()
    {
        using var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)0b111_101_101 });
            tar.WriteEntry(Busybox, "bin/busybox");
        }
        return stream.ToArray();
    }

    private static void Add(TarWriter tar, string name, byte[] data)
    {
        using var content = new MemoryStream(data);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = content, Mode = (UnixFileMode)0b110_100_100 });
    }

    private static string Digest(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}
