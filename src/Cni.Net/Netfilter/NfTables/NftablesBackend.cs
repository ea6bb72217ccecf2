using System.Net.Sockets;
using Cni.Net.Interop;
using Cni.Net.Netlink;
using Cni.Net.Netfilter.Iptables;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// Applies transactions by talking nf_tables directly over a NETLINK_NETFILTER socket — no process is started.
/// Rules are written exactly as iptables-nft 1.8 writes them (the same expressions and xt compat data), so
/// <c>iptables-nft-save</c> prints them as its own, <c>iptables-nft -C/-D</c> and the reference plugins find and
/// delete them, and rules that iptables-nft wrote are read and deleted here.
/// </summary>
/// <remarks>
/// <para>A transaction is planned against a fresh dump of the tables it touches (taken after reading the ruleset's
/// generation) and sent as <b>one</b> nfnetlink batch that also carries that generation: the kernel applies all of
/// it — across tables too, unlike one restore run per table — or none of it. When another writer changed the
/// ruleset in between, the kernel refuses the batch (ERESTART) and the transaction is read and planned again, at
/// most five times in all. Writers of this library also serialise on the xtables lock file, as
/// <see cref="IptablesNftBackend"/> does.</para>
/// <para>The network namespace is the calling thread's. Nodes whose iptables rules live in iptables-legacy are
/// refused as by <see cref="IptablesNftBackend"/>; the check reads <c>/proc</c> and starts the iptables tools only
/// when legacy tables exist. A kernel without nf_tables makes every call fail with a
/// <see cref="NetfilterException"/> that says so (iptables-nft could not work there either). Rules with
/// <see cref="OtherMatch"/> or <see cref="OtherTarget"/> (free-form iptables arguments) cannot be written natively
/// and are refused; use <see cref="IptablesNftBackend"/> for them. Rules this model cannot describe that others
/// wrote are read back with a match that never equals a model rule, keeping their comment and target.</para>
/// <para>Instances are thread-safe.</para>
/// </remarks>
public sealed class NftablesBackend : INetfilterBackend
{
    private const string XtablesLockPath = "/run/xtables.lock";
    internal const int MaxAttempts = 5;

    private volatile bool _checkedLegacy;

    /// <summary>Called after planning, before the batch is sent, with the attempt number (tests race a writer here).</summary>
    internal Action<int>? BeforeCommit { get; set; }

    /// <summary>How many times this instance read whole tables to plan (only after the kernel refused a chain delete).</summary>
    internal int ReadsOfWholeTables { get; private set; }

    /// <summary>How many plans the last applied transaction took.</summary>
    internal int LastAttempts { get; private set; }

    /// <summary>The chains whose rules the last plan read (table and chain).</summary>
    internal List<(NetfilterTable Table, string Chain)> LastRulesRead { get; } = [];

    /// <summary>Of <see cref="LastRulesRead"/>, the chains read only up to the rules the plan looked for.</summary>
    internal List<(NetfilterTable Table, string Chain)> LastRulesPartlyRead { get; } = [];

    /// <inheritdoc/>
    public ValueTask ApplyAsync(NetfilterTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.Count == 0)
        {
            return ValueTask.CompletedTask;
        }
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_checkedLegacy)
            {
                if (LegacyTablesExist())
                {
                    // Opened on the calling thread, before anything awaits: the socket belongs to the caller's namespace.
                    return ApplyAfterLegacyCheckAsync(Open(), transaction, cancellationToken);
                }
                _checkedLegacy = true;
            }
            WithSocket(socket => Apply(socket, transaction));
            return ValueTask.CompletedTask;
        }
        catch (Exception e) when (e is NetfilterException or OperationCanceledException or IOException)
        {
            return ValueTask.FromException(e);
        }
    }

    private async ValueTask ApplyAfterLegacyCheckAsync(NetlinkSocket socket, NetfilterTransaction transaction, CancellationToken cancellationToken)
    {
        using (socket)
        {
            await new IptablesNftBackend().EnsureNotLegacyAsync(cancellationToken).ConfigureAwait(false);
            _checkedLegacy = true;
            Apply(socket, transaction);
        }
    }

    /// <inheritdoc/>
    public ValueTask<NetfilterTableState> ReadTableAsync(AddressFamily family, NetfilterTable table, CancellationToken cancellationToken = default)
    {
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException("netfilter tables are read for InterNetwork or InterNetworkV6", nameof(family));
        }
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            NetfilterTableState? state = null;
            WithSocket(socket => state = Read(() => NftTableSnapshot.Read(socket, family, table)).State);
            return ValueTask.FromResult(state!);
        }
        catch (Exception e) when (e is NetfilterException or OperationCanceledException)
        {
            return ValueTask.FromException<NetfilterTableState>(e);
        }
    }

    private void Apply(NetlinkSocket socket, NetfilterTransaction transaction)
    {
        List<NetfilterTable> tables = NetfilterPlanner.TablesOf(transaction);
        using FileLock xtablesLock = FileLock.Acquire(XtablesLockPath);
        bool wholeTables = false;
        for (int attempt = 1; ; attempt++)
        {
            LastAttempts = attempt;
            LastRulesRead.Clear();
            LastRulesPartlyRead.Clear();
            uint generation = Read(() => NftTableSnapshot.ReadGeneration(socket));
            var snapshots = new Dictionary<NetfilterTable, NftTableSnapshot>();
            foreach (NetfilterTable t in tables)
            {
                snapshots[t] = Read(() => wholeTables
                    ? NftTableSnapshot.Read(socket, transaction.Family, t)
                    : NftTableSnapshot.ReadChains(socket, transaction.Family, t, NetfilterPlanner.ChainsToRead(transaction, t),
                        (chain, exists) => RulesNeeded(transaction, t, chain, exists),
                        (chain, references) => NetfilterPlanner.RulesSought(transaction, t, chain, references)));
                foreach (string chain in snapshots[t].PartlyRead)
                {
                    LastRulesPartlyRead.Add((t, chain));
                }
                ReadsOfWholeTables += wholeTables ? 1 : 0;
            }
            var batch = new NftBatch(transaction.Family, t => snapshots[t]);
            NetfilterPlanner plan = NetfilterPlanner.Plan(transaction, t => snapshots[t].State, batch);
            if (plan.IsEmpty)
            {
                return;
            }
            BeforeCommit?.Invoke(attempt);
            bool committed;
            try
            {
                committed = batch.Commit(socket, generation);
            }
            catch (NetlinkException e)
            {
                throw new NetfilterException($"nf_tables transaction failed: {e.Message}", e);
            }
            catch (NetfilterException e) when (!wholeTables && e.InnerException is NetlinkException { Errno: Errno.EBUSY } &&
                NetfilterPlanner.DeletesChain(transaction))
            {
                // A chain this transaction deletes is still jumped to from a chain it did not read: nothing was
                // changed. Plan again against the whole tables, which names the jumping chain as the in-memory
                // backend does (or commits, if the jump went away meanwhile).
                wholeTables = true;
                continue;
            }
            if (committed)
            {
                return;
            }
            if (attempt == MaxAttempts)
            {
                throw new NetfilterException(
                    $"the nf_tables ruleset kept changing while this transaction was planned ({MaxAttempts} attempts); nothing was changed");
            }
        }
    }

    private bool RulesNeeded(NetfilterTransaction transaction, NetfilterTable table, string chain, Predicate<string> exists)
    {
        bool needed = NetfilterPlanner.RulesNeeded(transaction, table, chain, exists);
        if (needed)
        {
            LastRulesRead.Add((table, chain));
        }
        return needed;
    }

    // Sockets come from the process-wide pool, not from the instance: a long-lived host makes a backend per pod, and
    // a socket closed after a delete waits for nf_tables' grace period.
    private static void WithSocket(Action<NetlinkSocket> action) => NftNativeRuleset.Run(action);

    private static T Read<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (NetlinkException e)
        {
            throw new NetfilterException(e.Errno is Errno.ENOENT or Errno.EOPNOTSUPP or Errno.EPROTONOSUPPORT
                ? $"nf_tables is not available on this node ({e.Message})"
                : $"reading nf_tables failed: {e.Message}", e);
        }
    }

    private static NetlinkSocket Open() => NftNativeRuleset.OpenSocket();

    private static bool LegacyTablesExist() =>
        NonEmpty("/proc/thread-self/net/ip_tables_names") || NonEmpty("/proc/thread-self/net/ip6_tables_names");

    private static bool NonEmpty(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            Span<byte> one = stackalloc byte[1];
            return stream.Read(one) > 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
