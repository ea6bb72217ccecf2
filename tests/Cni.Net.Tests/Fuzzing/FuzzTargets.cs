using System.Buffers.Binary;
using Cni.Net.Netfilter;
using Cni.Net.Netlink;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Tests.Netfilter;
using Cni.Net.Tests.Netlink;
using Cni.Net.Tests.Plugins;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.Tests.Fuzzing;

/// <summary>
/// The fuzz targets — what a kernel or a runtime hands the library — with the exceptions each may answer bad input
/// with. Anything else escaping a target is a crash. Seed corpora are the golden vectors of the unit tests.
/// </summary>
internal static class FuzzTargets
{
    /// <summary>A netlink datagram through the socket's reply framing and every rtnetlink decoder.</summary>
    public static void Netlink(ReadOnlySpan<byte> data) => NetlinkFuzzTests.Feed(data);

    public static IReadOnlyList<byte[]> NetlinkSeeds() =>
        [NetlinkFuzzTests.LinkReply(), NetlinkFuzzTests.AddressReply(), NetlinkFuzzTests.RouteReply(), NetlinkFuzzTests.NeighborReply(), NetlinkFuzzTests.ErrorReply()];

    /// <summary>An nf_tables rule's expression list (NFTA_RULE_EXPRESSIONS payload), IPv4 or IPv6 by the first byte.</summary>
    public static void NfTables(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        try
        {
            _ = NftRuleDecoder.Decode(data[1..], ipv6: (data[0] & 1) == 1);
        }
        catch (NetlinkProtocolException)
        {
        }
    }

    public static IReadOnlyList<byte[]> NfTablesSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (var row in NftGoldenRules.All)
        {
            object?[] d = ((ITheoryDataRow)row).GetData();
            byte[] bytes = Convert.FromHexString((string)d[2]!);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
            seeds.Add([(byte)((bool)d[1]! ? 1 : 0), .. bytes.AsSpan(4, length - 4)]);
        }
        return seeds;
    }

    /// <summary>A config list, a single plugin config, a result and an error, as the executor and plugins read them.</summary>
    public static void CniReaders(ReadOnlySpan<byte> data)
    {
        Guard(data, static d => NetworkConfigList.Parse(d));
        Guard(data, static d => PluginConfig.Parse(d));
        Guard(data, static d => CniResult.Parse(d));
        Guard(data, static d => CniError.Parse(d));
    }

    private delegate object ReadBytes(ReadOnlySpan<byte> data);

    private static void Guard(ReadOnlySpan<byte> data, ReadBytes read)
    {
        try
        {
            _ = read(data);
        }
        catch (CniException)
        {
        }
    }

    public static IReadOnlyList<byte[]> SpecSeeds() =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "TestData", "Spec")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];

    private static readonly string[] s_commands = ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"];

    /// <summary>
    /// The plugin host's stdin path (a plugin process's whole input handling, with a plugin that does nothing): must
    /// always end in an outcome — a result or a CNI error on stdout — never an exception.
    /// </summary>
    public static void PluginHostStdin(ReadOnlySpan<byte> data)
    {
        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = s_commands[data.Length % s_commands.Length],
            ["CNI_CONTAINERID"] = "fuzz",
            ["CNI_NETNS"] = "/var/run/netns/fuzz",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/nonexistent",
        };
        CniPluginOutcome outcome = CniPluginHost.InvokeAsync(new CniPluginHostTests.RecordingPlugin(), env, data.ToArray(),
            new CniPluginHostOptions(), default).AsTask().GetAwaiter().GetResult();
        if (outcome.ExitCode != 0 && outcome.Stdout.Length > 0)
        {
            // A failure must still be a CNI error object on stdout.
            _ = CniError.Parse(outcome.Stdout);
        }
    }
}
