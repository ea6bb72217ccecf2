using System.Buffers.Binary;
using Cni.Net.Netfilter.NfTables;
using Cni.Net.Netlink;

namespace Cni.Net.Fuzz.Targets;

/// <summary>
/// An nf_tables rule as the kernel lists it: the NFTA_RULE_EXPRESSIONS payload (IPv4 or IPv6 by the first byte)
/// through <see cref="NftRuleDecoder"/>, which turns iptables-nft's expressions back into a rule. Only
/// <see cref="NetlinkProtocolException"/> may come out.
/// </summary>
internal static class NfTablesDecoderTarget
{
    public static void Run(ReadOnlySpan<byte> data)
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

    /// <summary>The rules iptables-nft-restore wrote, as captured (TestData/Netfilter/nft-golden-rules.txt).</summary>
    public static IReadOnlyList<byte[]> Seeds()
    {
        var seeds = new List<byte[]>();
        foreach (string line in File.ReadLines(TestData.PathOf("Netfilter", "nft-golden-rules.txt")))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            string[] f = line.Split(' ');
            byte[] bytes = Convert.FromHexString(f[2]);
            // The capture starts with the NFTA_RULE_EXPRESSIONS attribute: its payload is what the decoder reads.
            int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
            seeds.Add([(byte)(bool.Parse(f[1]) ? 1 : 0), .. bytes.AsSpan(4, length - 4)]);
        }
        return seeds;
    }
}
