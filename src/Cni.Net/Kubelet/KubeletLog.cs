using Microsoft.Extensions.Logging;

namespace Cni.Net.Kubelet;

internal static partial class KubeletLog
{
    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Using network {Network} from {Path}")]
    public static partial void UsingNetwork(ILogger logger, string network, string path);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Skipping network config {Path}: {Reason}")]
    public static partial void SkippedNetwork(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "kubenet: bridge {Bridge} MTU {Mtu} ({Source})")]
    public static partial void BridgeMtu(ILogger logger, string bridge, int mtu, string source);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "Pod CIDR {PodCidr}")]
    public static partial void PodCidr(ILogger logger, string podCidr);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Information, Message = "kubenet: plugin {Plugin} from {Path}")]
    public static partial void FoundPlugin(ILogger logger, string plugin, string path);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Debug, Message = "{Verb} pod {Namespace}/{Name} (sandbox {SandboxId}) on network {Network}")]
    public static partial void PodOperation(ILogger logger, string verb, string @namespace, string name, string sandboxId, string network);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Warning, Message = "Tearing down the loopback of sandbox {SandboxId} failed: {Reason}")]
    public static partial void LoopbackTeardownFailed(ILogger logger, string sandboxId, string reason);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Warning, Message = "Ignoring subsequent pod CIDR update to {PodCidr} (keeping {Current})")]
    public static partial void IgnoredPodCidr(ILogger logger, string podCidr, string current);
}
