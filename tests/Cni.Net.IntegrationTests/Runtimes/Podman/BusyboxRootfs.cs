namespace Cni.Net.IntegrationTests.Runtimes.Podman;

/// <summary>
/// A container root filesystem for <c>podman run --rootfs</c>: Debian's static busybox (busybox-static, installed by
/// eng/prereqs.sh) and the applet links the tests use. No registry is reachable here, so no image is pulled.
/// </summary>
internal static class BusyboxRootfs
{
    private const string Busybox = "/bin/busybox";

    private static readonly string[] s_applets = ["sh", "sleep", "ping", "httpd", "ip", "cat", "nc"];

    /// <summary>Creates the rootfs in <paramref name="directory"/>; <c>/www/index.html</c> holds <paramref name="page"/>.</summary>
    public static void Create(string directory, string page)
    {
        if (!File.Exists(Busybox))
        {
            throw new InvalidOperationException(Busybox + " is missing: eng/prereqs.sh installs busybox-static");
        }
        foreach (string dir in new[] { "bin", "proc", "sys", "dev", "etc", "tmp", "run", "www" })
        {
            Directory.CreateDirectory(Path.Combine(directory, dir));
        }
        // A copy, not a link: the container sees only its rootfs.
        File.Copy(Busybox, Path.Combine(directory, "bin", "busybox"));
        foreach (string applet in s_applets)
        {
            File.CreateSymbolicLink(Path.Combine(directory, "bin", applet), "busybox");
        }
        File.WriteAllText(Path.Combine(directory, "www", "index.html"), page);
    }
}
