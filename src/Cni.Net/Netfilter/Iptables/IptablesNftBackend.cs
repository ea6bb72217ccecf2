using Cni.Net.Interop;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Iptables;

/// <summary>
/// Applies transactions with one <c>iptables-nft-restore --noflush</c> (or <c>ip6tables-nft-restore</c>) run per
/// transaction, fed on stdin; reads tables with <c>iptables-nft-save -t</c>. Refuses to work on a node whose rules
/// live in iptables-legacy, because rules split over two backends do not see each other.
/// </summary>
/// <remarks>
/// Idempotent operations are resolved against a fresh read of the touched tables. When the restore fails because
/// another writer changed those tables in between, the transaction is planned again (at most four more times). Each
/// table block is one kernel transaction; a transaction touching several tables commits them in order.
/// Instances are thread-safe.
/// </remarks>
public sealed partial class IptablesNftBackend : INetfilterBackend
{
    private readonly IptablesNftBackendOptions _options;
    private const string XtablesLockPath = "/run/xtables.lock";

    private volatile bool _checkedBackend;

    /// <summary>Creates the backend.</summary>
    /// <param name="options">Tool paths; null for the defaults on PATH.</param>
    public IptablesNftBackend(IptablesNftBackendOptions? options = null)
    {
        _options = options ?? new IptablesNftBackendOptions();
    }

    /// <inheritdoc/>
    public async ValueTask ApplyAsync(NetfilterTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.Count == 0)
        {
            return;
        }
        await EnsureNotLegacyAsync(cancellationToken).ConfigureAwait(false);
        List<NetfilterTable> tables = NetfilterPlanner.TablesOf(transaction);
        // Plugins of one node run in parallel (kubelet starts pods concurrently). Serialising our own writers on
        // the xtables lock file (the one iptables -w takes) keeps plan + restore consistent among them; the
        // re-plan loop below remains for writers that do not take the lock.
        using FileLock xtablesLock = await Task.Run(() => FileLock.Acquire(XtablesLockPath), cancellationToken).ConfigureAwait(false);
        for (int attempt = 0; ; attempt++)
        {
            (Dictionary<NetfilterTable, NetfilterTableState> snapshot, string before) =
                await SnapshotAsync(transaction.Family, tables, cancellationToken).ConfigureAwait(false);
            NetfilterPlanner plan = NetfilterPlanner.Plan(transaction, t => snapshot[t]);
            if (plan.IsEmpty)
            {
                return;
            }
            string input = plan.RenderRestoreInput();
            string tool = transaction.Family == AddressFamily.InterNetworkV6 ? _options.Ip6tablesRestorePath : _options.IptablesRestorePath;
            ToolRunner.Result r = await ToolRunner.RunAsync(tool, ["--noflush"], input, cancellationToken).ConfigureAwait(false);
            if (r.ExitCode == 0)
            {
                return;
            }
            // Plan again only when another writer moved the tables in between; the same failure on the same
            // state is the transaction's own.
            (_, string after) = await SnapshotAsync(transaction.Family, tables, cancellationToken).ConfigureAwait(false);
            if (attempt >= 4 || after == before)
            {
                throw RestoreFailed(tool, input, r);
            }
        }
    }

    private async ValueTask<(Dictionary<NetfilterTable, NetfilterTableState>, string)> SnapshotAsync(
        AddressFamily family, List<NetfilterTable> tables, CancellationToken cancellationToken)
    {
        var snapshot = new Dictionary<NetfilterTable, NetfilterTableState>();
        var text = new System.Text.StringBuilder();
        foreach (NetfilterTable t in tables)
        {
            (NetfilterTableState state, string saved) = await ReadAsync(family, t, cancellationToken).ConfigureAwait(false);
            snapshot[t] = state;
            text.Append(StripTimestamps(saved));
        }
        return (snapshot, text.ToString());
    }

    /// <inheritdoc/>
    public async ValueTask<NetfilterTableState> ReadTableAsync(AddressFamily family, NetfilterTable table, CancellationToken cancellationToken = default)
    {
        await EnsureNotLegacyAsync(cancellationToken).ConfigureAwait(false);
        return (await ReadAsync(family, table, cancellationToken).ConfigureAwait(false)).State;
    }

    /// <summary>
    /// Checks that this node's iptables is the nf_tables variant and that no iptables-legacy rules exist in this
    /// network namespace.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting for the tools.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="NetfilterException">The node uses iptables-legacy.</exception>
    public async ValueTask EnsureNotLegacyAsync(CancellationToken cancellationToken = default)
    {
        if (_checkedBackend)
        {
            return;
        }
        ToolRunner.Result version = await ToolRunner.RunAsync(_options.IptablesPath, ["--version"], null, cancellationToken).ConfigureAwait(false);
        int legacyRules = 0;
        if (HasLegacyTables(_options.LegacyTablesPath))
        {
            ToolRunner.Result save = await ToolRunner.RunAsync(_options.IptablesLegacySavePath, [], null, cancellationToken).ConfigureAwait(false);
            legacyRules = save.ExitCode == 0 ? CountRules(save.StdOut) : 0;
        }
        string? problem = IptablesBackendCheck.Problem(version.StdOut + version.StdErr, legacyRules);
        if (problem is not null)
        {
            throw new NetfilterException(problem);
        }
        _checkedBackend = true;
    }

    private static bool HasLegacyTables(string path)
    {
        try
        {
            return File.Exists(path) && new FileInfo(path).Length >= 0 && File.ReadAllText(path).Trim().Length > 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    internal static int CountRules(string saveOutput) =>
        saveOutput.Split('\n').Count(l => l.StartsWith("-A ", StringComparison.Ordinal));

    private async ValueTask<(NetfilterTableState State, string Text)> ReadAsync(AddressFamily family, NetfilterTable table, CancellationToken cancellationToken)
    {
        string tool = family == AddressFamily.InterNetworkV6 ? _options.Ip6tablesSavePath : _options.IptablesSavePath;
        string name = NetfilterTables.Name(table);
        ToolRunner.Result r = await ToolRunner.RunAsync(tool, ["-t", name], null, cancellationToken).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            throw new NetfilterException($"{tool} -t {name} failed ({r.ExitCode}): {r.StdErr.Trim()}", r.StdErr.Trim(), null, null);
        }
        foreach (NetfilterTableState t in IptablesSaveParser.Parse(r.StdOut, family))
        {
            if (t.Table == table)
            {
                return (t, r.StdOut);
            }
        }
        // A table nobody has used yet is not printed: it holds only its empty built-in chains.
        return (NetfilterTableState.Empty(family, table), r.StdOut);
    }

    private static string StripTimestamps(string saveOutput) =>
        string.Join('\n', saveOutput.Split('\n').Where(l => !l.StartsWith('#')));

    internal static NetfilterException RestoreFailed(string tool, string input, ToolRunner.Result r)
    {
        string message = r.StdErr.Trim();
        int? line = null;
        string? lineText = null;
        Match m = LineNumberRegex().Match(message);
        if (m.Success && int.TryParse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture, out int n))
        {
            line = n;
            string[] lines = input.Split('\n');
            if (n >= 1 && n <= lines.Length)
            {
                lineText = lines[n - 1];
            }
        }
        // Drop the tool's usage hint; keep its own words.
        string toolWords = string.Join(' ', message.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith("Try `", StringComparison.Ordinal)));
        string text = lineText is null
            ? $"{tool} refused the transaction (exit {r.ExitCode}): {toolWords}"
            : $"{tool} refused the transaction (exit {r.ExitCode}) at line {line} '{lineText}': {toolWords}";
        return new NetfilterException(text, message, line, lineText);
    }

    [GeneratedRegex(@"line:? (\d+)")]
    private static partial Regex LineNumberRegex();
}
