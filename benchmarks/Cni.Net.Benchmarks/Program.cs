using BenchmarkDotNet.Running;

namespace Cni.Net.Benchmarks;

internal static class Program
{
    // Usage: dotnet run -c Release -- --filter '*Netlink*'   (BenchmarkDotNet's switcher arguments)
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
