using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace Cni.Net.Benchmarks.Ipam;

/// <summary>
/// A runtime's view: exec host-local for ADD, then for DEL, with the CNI environment and the config on stdin —
/// the NativeAOT sample (artifacts/cni/bin/host-local, from eng/publish.sh) against the reference Go binary.
/// Start-up dominates both. Allocations are this benchmark process's (Process plumbing), not the plugin's.
/// </summary>
[MemoryDiagnoser]
public class HostLocalExecBenchmarks
{
    private string _dataDir = "";
    private string _config = "";
    private string _ours = "";

    [GlobalSetup]
    public void Setup()
    {
        _dataDir = Directory.CreateTempSubdirectory("cni-net-ipam-exec-").FullName;
        _config = "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"bridge\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" +
            _dataDir + "\",\"ranges\":[[{\"subnet\":\"10.20.0.0/16\"}],[{\"subnet\":\"fd00:20::/64\"}]]}}";
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Cni.Net.sln")))
            {
                _ours = Path.Combine(dir, "artifacts", "cni", "bin", "host-local");
                break;
            }
        }
        if (!File.Exists(_ours))
        {
            throw new InvalidOperationException("run eng/publish.sh first: artifacts/cni/bin/host-local is missing");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dataDir, recursive: true);

    [Benchmark(Baseline = true)]
    public int Reference() => Cycle("/usr/lib/cni/host-local");

    [Benchmark]
    public int Ours() => Cycle(_ours);

    private int Cycle(string binary) => Exec(binary, "ADD") + Exec(binary, "DEL");

    private int Exec(string binary, string command)
    {
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.Environment["CNI_COMMAND"] = command;
        psi.Environment["CNI_CONTAINERID"] = "bench-ctr";
        psi.Environment["CNI_NETNS"] = "/var/run/netns/unused";
        psi.Environment["CNI_IFNAME"] = "eth0";
        psi.Environment["CNI_PATH"] = "/usr/lib/cni";
        using Process p = Process.Start(psi)!;
        p.StandardInput.Write(_config);
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{binary} {command} failed: {output}");
        }
        return output.Length;
    }
}
