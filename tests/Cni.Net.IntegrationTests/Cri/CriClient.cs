using System.Net.Sockets;
using Cni.Net.IntegrationTests.Cri.V1;
using Grpc.Net.Client;

namespace Cni.Net.IntegrationTests.Cri;

/// <summary>
/// A CRI v1 runtime client over a unix socket, as the kubelet dials its runtime: HTTP/2 without TLS, the socket
/// path in place of a host (the URI's host is only a placeholder).
/// </summary>
internal sealed class CriClient : IDisposable
{
    private static readonly TimeSpan s_callTimeout = TimeSpan.FromSeconds(60);

    private readonly GrpcChannel _channel;

    public CriClient(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
    }

    public RuntimeService.RuntimeServiceClient Runtime { get; }

    private static DateTime Deadline => DateTime.UtcNow + s_callTimeout;

    public VersionResponse Version() => Runtime.Version(new VersionRequest(), deadline: Deadline);

    public string RunPodSandbox(PodSandboxConfig config) =>
        Runtime.RunPodSandbox(new RunPodSandboxRequest { Config = config }, deadline: Deadline).PodSandboxId;

    public PodSandboxStatusResponse PodSandboxStatus(string id) =>
        Runtime.PodSandboxStatus(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true }, deadline: Deadline);

    public void StopPodSandbox(string id) => Runtime.StopPodSandbox(new StopPodSandboxRequest { PodSandboxId = id }, deadline: Deadline);

    public void RemovePodSandbox(string id) => Runtime.RemovePodSandbox(new RemovePodSandboxRequest { PodSandboxId = id }, deadline: Deadline);

    public IReadOnlyList<PodSandbox> ListPodSandbox() => Runtime.ListPodSandbox(new ListPodSandboxRequest(), deadline: Deadline).Items;

    public void Dispose() => _channel.Dispose();
}
