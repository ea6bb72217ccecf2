namespace Cni.Net.Netfilter.NfTables;

/// <summary>A native nf_tables rule: its statements in order and its comment (libnftnl userdata, as <c>nft</c> stores it).</summary>
internal sealed record NftNativeRule(string Chain, IReadOnlyList<NftExpression> Statements, string? Comment = null);

/// <summary>A rule as read back: enough to find (by comment) and delete (by handle) what a writer added.</summary>
internal readonly record struct NftListedRule(string Chain, ulong Handle, string? Comment);
