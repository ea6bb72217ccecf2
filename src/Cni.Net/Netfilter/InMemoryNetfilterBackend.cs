using System.Net.Sockets;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.Netfilter;

/// <summary>
/// A packet filter kept in memory with the same transaction semantics as <see cref="IptablesNftBackend"/>: the
/// same planning, the same refusals, all-or-nothing. For unit tests of plugins that must not need root.
/// </summary>
public sealed class InMemoryNetfilterBackend : INetfilterBackend
{
    private readonly Dictionary<(AddressFamily, NetfilterTable), NetfilterTableState> _tables = [];
    private readonly List<string> _restoreInputs = [];
    private readonly Lock _lock = new();

    /// <summary>
    /// The iptables-restore input each applied transaction would have sent, in order (transactions that changed
    /// nothing are not listed).
    /// </summary>
    public IReadOnlyList<string> RestoreInputs
    {
        get
        {
            lock (_lock)
            {
                return [.. _restoreInputs];
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask ApplyAsync(NetfilterTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        lock (_lock)
        {
            NetfilterPlanner plan = NetfilterPlanner.Plan(transaction, t => Table(transaction.Family, t));
            if (!plan.IsEmpty)
            {
                _restoreInputs.Add(plan.RenderRestoreInput());
            }
            foreach (var (table, state) in plan.Tables)
            {
                _tables[(transaction.Family, table)] = state;
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<NetfilterTableState> ReadTableAsync(AddressFamily family, NetfilterTable table, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(Table(family, table).Clone());
        }
    }

    /// <summary>
    /// Renders the table as <c>iptables-save -t</c> prints it (without the comment lines), for assertions.
    /// </summary>
    /// <param name="family">InterNetwork or InterNetworkV6.</param>
    /// <param name="table">The table.</param>
    /// <returns>The text.</returns>
    public string Save(AddressFamily family, NetfilterTable table)
    {
        lock (_lock)
        {
            return IptablesSaveFormatter.Format(Table(family, table));
        }
    }

    private NetfilterTableState Table(AddressFamily family, NetfilterTable table) =>
        _tables.TryGetValue((family, table), out NetfilterTableState? state) ? state : NetfilterTableState.Empty(family, table);
}
