using Cni.Net.Plugins.Server;
using Cni.Net.Samples.Bandwidth;
using Cni.Net.Samples.HostLocal;
using Cni.Net.Samples.PortMap;
using Cni.Samples.Bridge;
using Cni.Samples.Loopback;

// cni-server [socket-path]: serves until SIGTERM/SIGINT, then finishes the requests in flight and removes the socket.
var server = new CniPluginServer(new CniPluginServerOptions
{
    SocketPath = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable(CniPluginClient.SocketPathVariable) is { Length: > 0 } p
        ? p
        : CniPluginClient.DefaultSocketPath,
});
server.RegisterPlugin("bridge", new BridgePlugin());
server.RegisterPlugin("host-local", new HostLocalPlugin());
server.RegisterPlugin("portmap", new PortMapPlugin());
server.RegisterPlugin("bandwidth", new BandwidthPlugin());
server.RegisterPlugin("loopback", new LoopbackPlugin());

using var stop = new CancellationTokenSource();
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
try
{
    await server.RunAsync(stop.Token);
    return 0;
}
catch (IOException e)
{
    Console.Error.WriteLine($"cni-server: {e.Message}");
    return 1;
}
