using BenchmarkDotNet.Running;
using Cni.Net.Benchmarks.Plugins;

namespace Cni.Net.Benchmarks;

internal static class Program
{
    // Usage: dotnet run -c Release -- --filter '*Netlink*'   (BenchmarkDotNet's switcher arguments)
    //        Cni.Net.Benchmarks pod-chain-driver            (the in-process side of benchmarks/pod_chain_bench.py)
    private static async Task<int> Main(string[] args)
    {
        if (args is ["pod-chain-driver"])
        {
            return await PodChainInProcessDriver.RunAsync().ConfigureAwait(false);
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
