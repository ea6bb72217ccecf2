namespace Cni.Net.Netfilter;

/// <summary>
/// Receives the primitive changes <see cref="NetfilterPlanner"/> resolved a transaction into, in order. Indexes are
/// 0-based positions in the chain as it is at that moment of the plan (earlier changes applied). The restore-text
/// renderer is one sink, the nf_tables batch builder another.
/// </summary>
internal interface INetfilterPlanSink
{
    /// <summary>The plan touches <paramref name="table"/> for the first time (whether or not anything changes in it).</summary>
    void BeginTable(NetfilterTable table);

    /// <summary>Creates a user chain.</summary>
    void AddChain(NetfilterTable table, string chain);

    /// <summary>
    /// Adds <paramref name="rule"/> so that it ends up at <paramref name="index"/>; <paramref name="append"/> when that
    /// is the end of the chain because the transaction appended (<c>-A</c>), false for an insert (<c>-I</c>).
    /// </summary>
    void AddRule(NetfilterTable table, string chain, int index, NetfilterRule rule, bool append);

    /// <summary>Deletes the rule at <paramref name="index"/>, which equals <paramref name="rule"/>.</summary>
    void DeleteRule(NetfilterTable table, string chain, int index, NetfilterRule rule);

    /// <summary>Deletes every rule of the chain (it holds at least one).</summary>
    void FlushChain(NetfilterTable table, string chain);

    /// <summary>Deletes an empty user chain.</summary>
    void DeleteChain(NetfilterTable table, string chain);

    /// <summary>Sets the policy of a built-in chain.</summary>
    void SetPolicy(NetfilterTable table, string chain, NetfilterVerdict policy);
}
