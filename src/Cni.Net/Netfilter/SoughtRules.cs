namespace Cni.Net.Netfilter;

/// <summary>
/// What planning looks for in a chain it may read only in part: <see cref="Count"/> rules that
/// <see cref="Matches"/> picks (a rule to add unless present: one; the jumps to a chain that is deleted: as many as
/// the kernel counts references to it).
/// </summary>
internal readonly record struct SoughtRules(Func<NetfilterRule, bool> Matches, int Count);
