using System.Globalization;
using System.Text.RegularExpressions;

namespace Cni.Net.IntegrationTests.Plugins.Startup;

/// <summary>
/// The published plugins' GC reserves 1 GiB for its heap (CniNetGCRegionRange), not the runtime's default of up to
/// 256 GiB with its bookkeeping set up at every start; the long-lived dhcp daemon keeps the default.
/// </summary>
public sealed partial class GcRegionRangeTests
{
    private const long OneGiB = 1L << 30;

    // No closing parenthesis: when another thread's call comes in between (the finalizer thread starts early), strace
    // prints the call as "-1, 0 <unfinished ...>" and its result on a line of its own.
    [GeneratedRegex(@"mmap\(NULL, (\d+), PROT_NONE, MAP_PRIVATE\|MAP_ANONYMOUS(\|MAP_NORESERVE)?, -1, 0[ )]")]
    private static partial Regex AnonymousReservation();

    /// <summary>The largest address range the executable reserved (PROT_NONE, anonymous) while answering VERSION.</summary>
    private static long LargestReservation(string plugin) =>
        StartupTrace.Version(plugin, "trace=mmap").Select(l => AnonymousReservation().Match(l)).Where(m => m.Success)
            .Select(m => long.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    [Fact]
    public void PublishedPlugins_ReserveOneGiBForTheirHeap_TheDhcpDaemonTheDefault()
    {
        string[] plugins = StartupTrace.PublishedPlugins();
        long largestOfPlugins = 0;
        foreach (string plugin in plugins.Where(p => Path.GetFileName(p) != "dhcp"))
        {
            long reserved = LargestReservation(plugin);
            // The heap's range plus at most a page of alignment; the other reservations (thread stacks) are smaller.
            Assert.True(reserved is >= OneGiB and <= OneGiB + (1 << 20), $"{plugin}: largest reservation {reserved} bytes");
            largestOfPlugins = Math.Max(largestOfPlugins, reserved);
        }
        long dhcp = LargestReservation(plugins.Single(p => Path.GetFileName(p) == "dhcp"));
        Assert.True(dhcp > largestOfPlugins, $"dhcp reserved {dhcp} bytes, the plugins {largestOfPlugins}");
    }
}
