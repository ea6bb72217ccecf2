using System.Net.Sockets;

namespace Cni.Net.Netfilter;

/// <summary>
/// Applies <see cref="NetfilterTransaction"/>s and reads tables back. Callers depend on this, not on how rules are
/// written: <see cref="Iptables.IptablesNftBackend"/> on a node, <see cref="InMemoryNetfilterBackend"/> in unit tests.
/// </summary>
public interface INetfilterBackend
{
    /// <summary>Applies every operation of the transaction, or none.</summary>
    /// <param name="transaction">The changes.</param>
    /// <param name="cancellationToken">Cancels waiting for the tools.</param>
    /// <returns>A task that completes when the change is in effect.</returns>
    /// <exception cref="NetfilterException">The transaction was refused; nothing changed.</exception>
    ValueTask ApplyAsync(NetfilterTransaction transaction, CancellationToken cancellationToken = default);

    /// <summary>Reads one table back into the model.</summary>
    /// <param name="family">InterNetwork or InterNetworkV6.</param>
    /// <param name="table">The table.</param>
    /// <param name="cancellationToken">Cancels waiting for the tools.</param>
    /// <returns>The table's chains and rules.</returns>
    ValueTask<NetfilterTableState> ReadTableAsync(AddressFamily family, NetfilterTable table, CancellationToken cancellationToken = default);
}
