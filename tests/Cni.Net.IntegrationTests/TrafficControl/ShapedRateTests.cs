using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.TrafficControl;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.TrafficControl;

/// <summary>
/// Real traffic through a shaped veth: iperf3 between two namespaces must carry the tbf rate within ±15%, both for
/// the bandwidth plugin's ingress shaping (tbf at the root of the sending side) and for its egress shaping (ingress
/// qdisc + u32 mirred redirect to an ifb, tbf at the root of the ifb).
/// </summary>
public sealed class ShapedRateTests : IDisposable
{
    private const long RateBits = 20_000_000;
    private readonly TestNamespace _a = new("rate-a");
    private readonly TestNamespace _b = new("rate-b");

    public ShapedRateTests()
    {
        Shell.Check("ip", "-n", _a.Name, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", _b.Name);
        Shell.Check("ip", "-n", _a.Name, "addr", "add", "10.77.0.1/24", "dev", "va");
        Shell.Check("ip", "-n", _b.Name, "addr", "add", "10.77.0.2/24", "dev", "vb");
        Shell.Check("ip", "-n", _a.Name, "link", "set", "va", "up");
        Shell.Check("ip", "-n", _b.Name, "link", "set", "vb", "up");
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static int Index(TestNamespace ns, string dev) => ns.IpJson("link", "show", dev)[0].GetProperty("ifindex").GetInt32();

    /// <summary>
    /// Runs iperf3 from a (client) to b (server) and returns the received bits per second. A run that ends without a
    /// result (iperf3's own control-channel hiccups) is repeated, at most three times.
    /// </summary>
    private double MeasureBitsPerSecond()
    {
        string failures = "";
        for (int run = 0; run < 3; run++)
        {
            (double? bps, string output) = MeasureOnce();
            if (bps is double value)
            {
                return value;
            }
            failures += output + "\n";
        }
        Assert.Fail("iperf3 reported no result in three runs: " + failures);
        return 0;
    }

    private (double? BitsPerSecond, string Output) MeasureOnce()
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "netns", "exec", _b.Name, "iperf3", "-s", "-1", "-B", "10.77.0.2" })
        {
            psi.ArgumentList.Add(arg);
        }
        using Process server = Process.Start(psi)!;
        try
        {
            // The client only connects once the server listens: under load iperf3 can take seconds to bind, and a
            // refused connect would be counted as a failed run.
            for (int wait = 0; wait < 100 && !server.HasExited && !Listening(); wait++)
            {
                Thread.Sleep(100);
            }
            if (server.HasExited)
            {
                return (null, "iperf3 server exited: " + server.StandardError.ReadToEnd());
            }
            Shell.Output r = default!;
            for (int attempt = 0; attempt < 50; attempt++)
            {
                // -O 1 leaves out the first second, where the bucket's burst and TCP slow start distort the rate.
                r = _a.Exec("iperf3", "-c", "10.77.0.2", "-t", "4", "-O", "1", "-J");
                if (r.ExitCode == 0 || !r.StdOut.Contains("unable to connect", StringComparison.Ordinal))
                {
                    break;
                }
                Thread.Sleep(100);
            }
            if (r.ExitCode != 0 || !r.StdOut.TrimStart().StartsWith('{'))
            {
                return (null, r.StdOut + r.StdErr);
            }
            using JsonDocument doc = JsonDocument.Parse(r.StdOut);
            if (!doc.RootElement.TryGetProperty("end", out JsonElement end) || !end.TryGetProperty("sum_received", out JsonElement received))
            {
                return (null, r.StdOut);
            }
            return (received.GetProperty("bits_per_second").GetDouble(), r.StdOut);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
            server.WaitForExit();
        }
    }

    private static void AssertWithin15Percent(double measured)
    {
        double ratio = measured / RateBits;
        Assert.True(ratio is >= 0.85 and <= 1.15,
            string.Create(CultureInfo.InvariantCulture, $"measured {measured / 1e6:F2} Mbit/s for a {RateBits / 1e6:F0} Mbit/s tbf ({ratio:P0})"));
    }

    [Fact]
    public void TbfOnSendingVeth_CarriesItsRate()
    {
        using NetworkNamespace netns = NetworkNamespace.OpenNamed(_a.Name);
        using TcNetlink tc = TcNetlink.Open(netns);
        BandwidthShaping.SetIngressLimit(tc, Index(_a, "va"), RateBits, 200_000);
        AssertWithin15Percent(MeasureBitsPerSecond());
    }

    [Fact]
    public void IngressRedirectToShapedIfb_CarriesItsRate()
    {
        // b's veth receives a's traffic; its ingress is redirected to an ifb whose root tbf shapes it.
        Shell.Check("ip", "-n", _b.Name, "link", "add", "ifbb", "type", "ifb");
        Shell.Check("ip", "-n", _b.Name, "link", "set", "ifbb", "up");
        using NetworkNamespace netns = NetworkNamespace.OpenNamed(_b.Name);
        using TcNetlink tc = TcNetlink.Open(netns);
        int vb = Index(_b, "vb"), ifb = Index(_b, "ifbb");
        // Twice: setting the limit again replaces it (one redirect filter, one tbf).
        BandwidthShaping.SetEgressLimit(tc, vb, ifb, RateBits * 2, 200_000);
        BandwidthShaping.SetEgressLimit(tc, vb, ifb, RateBits, 200_000);
        Assert.Single(tc.ListFilters(vb, TcHandle.IngressQdisc), f => f.Mirred is not null);
        AssertWithin15Percent(MeasureBitsPerSecond());

        Assert.True(BandwidthShaping.Remove(tc, vb));
        Assert.False(BandwidthShaping.Remove(tc, vb));
        Assert.DoesNotContain(tc.ListQdiscs(vb), q => q.Kind == "ingress");
    }

    [Fact]
    public void Unshaped_IsFarFasterThanTheRate()
    {
        // The control: without the tbf the same path carries far more, so the shaped tests measure the tbf.
        Assert.True(MeasureBitsPerSecond() > RateBits * 3);
    }

    private bool Listening() =>
        _b.Exec("ss", "-H", "-l", "-t", "-n", "sport", "=", ":5201").StdOut.Contains("5201", StringComparison.Ordinal);
}
