using System.Collections.Concurrent;
using System.Text;
using Cni.Net.Dhcp;
using Cni.Net.Namespaces;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Samples.Dhcp;

/// <summary>The daemon's flags (the reference's names).</summary>
internal sealed record DhcpDaemonSettings(string HostPrefix, bool Broadcast, TimeSpan Timeout, TimeSpan ResendMax, TimeSpan ResendTimeout);

/// <summary>
/// What <c>dhcp daemon</c> serves for the plugin: ADD acquires a lease on CNI_IFNAME inside CNI_NETNS and keeps renewing
/// it until DEL releases it (the reference's DHCP.Allocate and DHCP.Release). CHECK is ADD again, as in the reference: a
/// held lease is answered, a missing one is acquired. GC releases the leases of attachments that are no longer valid.
/// </summary>
internal sealed class DhcpDaemonPlugin(DhcpDaemonSettings settings, ILogger logger) : CniPlugin<DhcpConfig>(DhcpConfig.ReadCniConfig)
{
    private readonly ConcurrentDictionary<string, HeldLease> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>The lease, its client and socket, and the task that keeps it.</summary>
    private sealed class HeldLease(string containerId, string ifName, DhcpClient client, DhcpPacketSocket socket)
    {
        public string ContainerId { get; } = containerId;
        public string IfName { get; } = ifName;
        public DhcpClient Client { get; } = client;
        public DhcpPacketSocket Socket { get; } = socket;
        public CancellationTokenSource Stop { get; } = new();
        public Task<DhcpMaintenanceEnd>? Maintenance { get; set; }
    }

    protected override void Validate(DhcpConfig config, CniPluginRequest request)
    {
        if (config.Ipam is null)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "IPAM config missing 'ipam' key");
        }
        DhcpOptionList.Apply(config.Ipam, request.Environment.Args, new DhcpClientOptions());
    }

    /// <summary>The reference's client ID, containerID/network/ifname cut to 254 bytes (option 61 holds 255 with its type byte).</summary>
    internal static string ClientId(string containerId, string? network, string ifName)
    {
        string id = $"{containerId}/{network}/{ifName}";
        return id.Length > 254 ? id[..254] : id;
    }

    protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<DhcpConfig> request, CancellationToken cancellationToken)
    {
        string clientId = ClientId(request.ContainerId, request.Config.Name, request.IfName);
        SemaphoreSlim gate = _locks.GetOrAdd(clientId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_leases.TryGetValue(clientId, out HeldLease? held))
            {
                held = await AcquireAsync(request, clientId, cancellationToken).ConfigureAwait(false);
            }
            DhcpLease lease = held.Client.Lease ?? throw new CniException(CniErrorCode.TryAgainLater, $"{clientId}: the lease is being renewed");
            return DhcpResult.From(lease, request.NetConf.Ipam!.Priority);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<HeldLease> AcquireAsync(CniPluginRequest<DhcpConfig> request, string clientId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.NetNs))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, "CNI_NETNS is required to acquire a DHCP lease");
        }
        var options = new DhcpClientOptions
        {
            ClientIdentifier = Encoding.UTF8.GetBytes("\0" + clientId),
            Broadcast = settings.Broadcast,
            Timeout = settings.Timeout,
            ResendMax = settings.ResendMax,
            ResendTimeout = settings.ResendTimeout,
        };
        DhcpOptionList.Apply(request.NetConf.Ipam, request.Environment.Args, options);
        string netnsPath = settings.HostPrefix + request.NetNs;
        DhcpPacketSocket socket;
        try
        {
            using NetworkNamespace netns = NetworkNamespace.Open(netnsPath);
            socket = DhcpPacketSocket.Open(request.IfName, netns);
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"error looking up \"{request.IfName}\" in {netnsPath}: {e.Message}", null, e);
        }
        var held = new HeldLease(request.ContainerId, request.IfName, new DhcpClient(socket, options), socket);
        try
        {
            Log.Acquiring(logger, clientId);
            DhcpLease lease = await held.Client.AcquireAsync(cancellationToken).ConfigureAwait(false);
            if (lease.PrefixLength is null)
            {
                Release(held, clientId);
                throw new CniException(CniErrorCode.IOFailure, "DHCP option Subnet Mask not found in DHCPACK");
            }
            Log.Acquired(logger, clientId, lease.Address, lease.ExpiresAt);
        }
        catch (TimeoutException e)
        {
            socket.Dispose();
            throw new CniException(CniErrorCode.TryAgainLater, $"{clientId}: {e.Message}", null, e);
        }
        catch (IOException e)
        {
            socket.Dispose();
            throw new CniException(CniErrorCode.IOFailure, $"{clientId}: {e.Message}", null, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _leases[clientId] = held;
        held.Maintenance = Task.Run(() => MaintainAsync(held, clientId), CancellationToken.None);
        return held;
    }

    private async Task<DhcpMaintenanceEnd> MaintainAsync(HeldLease held, string clientId)
    {
        DhcpMaintenanceEnd end = await held.Client.MaintainAsync(
            lease => Log.Renewed(logger, clientId, lease.Address, lease.ExpiresAt), held.Stop.Token).ConfigureAwait(false);
        if (end != DhcpMaintenanceEnd.Stopped)
        {
            // The pod's interface is gone, or the lease ran out: nothing left to keep or release.
            Log.Ended(logger, clientId, end);
            _leases.TryRemove(new KeyValuePair<string, HeldLease>(clientId, held));
            held.Socket.Dispose();
        }
        return end;
    }

    protected override async ValueTask DelAsync(CniPluginRequest<DhcpConfig> request, CancellationToken cancellationToken)
    {
        string clientId = ClientId(request.ContainerId, request.Config.Name, request.IfName);
        await StopAsync(clientId).ConfigureAwait(false);
    }

    private async Task StopAsync(string clientId)
    {
        SemaphoreSlim gate = _locks.GetOrAdd(clientId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_leases.TryRemove(clientId, out HeldLease? held))
            {
                return;
            }
            await held.Stop.CancelAsync().ConfigureAwait(false);
            DhcpMaintenanceEnd end = held.Maintenance is { } task ? await task.ConfigureAwait(false) : DhcpMaintenanceEnd.Stopped;
            if (end == DhcpMaintenanceEnd.Stopped)
            {
                Release(held, clientId);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private void Release(HeldLease held, string clientId)
    {
        try
        {
            Log.Releasing(logger, clientId);
            held.Client.Release();
        }
        catch (IOException e)
        {
            Log.ReleaseFailed(logger, clientId, e.Message);
        }
        finally
        {
            held.Socket.Dispose();
        }
    }

    protected override ValueTask CheckAsync(CniPluginRequest<DhcpConfig> request, CancellationToken cancellationToken)
        => new(AddAsync(request, cancellationToken).AsTask());

    protected override async ValueTask GCAsync(CniPluginRequest<DhcpConfig> request, CancellationToken cancellationToken)
    {
        foreach ((string clientId, HeldLease held) in _leases)
        {
            if (!clientId.Contains($"/{request.Config.Name}/", StringComparison.Ordinal))
            {
                continue; // another network's lease
            }
            if (!request.ValidAttachments.Any(a => a.ContainerId == held.ContainerId && a.IfName == held.IfName))
            {
                await StopAsync(clientId).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Stops keeping every lease without releasing it (the daemon is stopping): as with the reference, a restarted
    /// daemon must not take addresses away from running pods; their leases run on until CHECK or ADD acquires again.
    /// </summary>
    public async Task StopAllAsync()
    {
        foreach ((_, HeldLease held) in _leases)
        {
            await held.Stop.CancelAsync().ConfigureAwait(false);
            if (held.Maintenance is { } task)
            {
                await task.ConfigureAwait(false);
            }
            held.Socket.Dispose();
        }
        _leases.Clear();
    }
}
