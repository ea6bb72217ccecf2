namespace Cni.Net.Netfilter.NfTables;

/// <summary>A chain of a native table: a regular chain, or a base chain of a type on a hook at a priority.</summary>
/// <param name="Name">The chain's name.</param>
/// <param name="Type">The base chain type (<c>nat</c>, <c>filter</c>, <c>route</c>); null for a regular chain.</param>
/// <param name="Hook">The netfilter hook number (NF_INET_*) of a base chain.</param>
/// <param name="Priority">The base chain's priority.</param>
/// <param name="Comment">The chain's comment (libnftnl userdata), or null.</param>
internal sealed record NftNativeChain(string Name, string? Type = null, uint Hook = 0, int Priority = 0, string? Comment = null)
{
    public bool IsBaseChain => Type is not null;
}
