using Cni.Net.Kubelet;
using Cni.Net.Spec;
using KubenetNode;

// kubenet-node: the kubelet's network-plugin layer (noop, cni, kubenet) as a command-line node agent. Every command
// re-initializes the plugin from the flags kept in the state directory, as a restarted kubelet would.
try
{
    return await Cli.RunAsync(args);
}
catch (CniException e)
{
    Console.Error.WriteLine($"kubenet-node: error (CNI code {(uint)e.Code}): {e.Message}{(e.Details is null ? "" : " — " + e.Details)}");
    return 1;
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("kubenet-node: " + e.Message);
    return 2;
}
