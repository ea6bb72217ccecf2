namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// A native nf_tables rule: its statements in order, its comment (libnftnl userdata, as <c>nft</c> stores it) and an
/// optional owner tag — a userdata entry of a type nft does not know, so it skips it: invisible to <c>nft list</c> and
/// to other writers, readable here (see <see cref="NftNativeTransaction.OwnerUserdataType"/>).
/// </summary>
internal sealed record NftNativeRule(string Chain, IReadOnlyList<NftExpression> Statements, string? Comment = null, string? Owner = null);

/// <summary>A rule as read back: enough to find (by comment or owner) and delete (by handle) what a writer added.</summary>
internal readonly record struct NftListedRule(string Chain, ulong Handle, string? Comment, string? Owner = null);
