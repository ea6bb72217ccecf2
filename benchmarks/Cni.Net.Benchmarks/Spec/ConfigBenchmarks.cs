using System.Text;
using BenchmarkDotNet.Attributes;
using Cni.Net.Spec;

namespace Cni.Net.Benchmarks.Spec;

/// <summary>Parsing a conflist and preparing one plugin's request (clone, inject name/cniVersion, serialize).</summary>
[MemoryDiagnoser]
public class ConfigBenchmarks
{
    private static readonly byte[] s_conflist = Encoding.UTF8.GetBytes("""
        {
          "cniVersion": "1.0.0",
          "cniVersions": ["0.4.0", "1.0.0", "1.1.0"],
          "name": "kubenet",
          "plugins": [
            {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24", "gateway": "10.244.1.1"}]],
                      "routes": [{"dst": "0.0.0.0/0"}]}},
            {"type": "portmap", "capabilities": {"portMappings": true}},
            {"type": "bandwidth", "capabilities": {"bandwidth": true}}
          ]
        }
        """);

    private NetworkConfigList _list = null!;

    [GlobalSetup]
    public void Setup() => _list = NetworkConfigList.Parse(s_conflist);

    [Benchmark]
    public NetworkConfigList ParseConflist() => NetworkConfigList.Parse(s_conflist);

    [Benchmark]
    public byte[] PrepareRequest()
    {
        PluginConfig request = _list.Plugins[0].Clone();
        request.Name = _list.Name;
        request.CniVersion = CniVersion.V1_0_0;
        return request.ToUtf8Bytes();
    }

    [Benchmark]
    public CniVersion Negotiate() => _list.NegotiateVersion();
}
