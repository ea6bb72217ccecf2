using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cni.Net.Spec;

namespace Cni.Net.Benchmarks.Spec;

/// <summary>The result path a runtime walks per plugin call: parse stdout, convert, re-serialize (prevResult, cache).</summary>
[MemoryDiagnoser]
public class CniResultBenchmarks : IDisposable
{
    // A bridge + host-local dual-stack result as the reference plugins print it (1.0.0, indented).
    private static readonly byte[] s_result100 = Encoding.UTF8.GetBytes("""
        {
            "cniVersion": "1.0.0",
            "interfaces": [
                {
                    "name": "cni0",
                    "mac": "0a:58:0a:f4:01:01"
                },
                {
                    "name": "veth1c2d3e4f",
                    "mac": "86:1a:2b:3c:4d:5e"
                },
                {
                    "name": "eth0",
                    "mac": "0a:58:0a:f4:01:02",
                    "sandbox": "/var/run/netns/cni-1234"
                }
            ],
            "ips": [
                {
                    "interface": 2,
                    "address": "10.244.1.2/24",
                    "gateway": "10.244.1.1"
                },
                {
                    "interface": 2,
                    "address": "fd00:10:244:1::2/64",
                    "gateway": "fd00:10:244:1::1"
                }
            ],
            "routes": [
                {
                    "dst": "0.0.0.0/0"
                },
                {
                    "dst": "::/0"
                }
            ],
            "dns": {}
        }
        """);

    private static readonly byte[] s_result020 = Encoding.UTF8.GetBytes("""
        {"cniVersion":"0.2.0","ip4":{"ip":"10.244.1.2/24","gateway":"10.244.1.1","routes":[{"dst":"0.0.0.0/0"}]},
         "ip6":{"ip":"fd00:10:244:1::2/64","gateway":"fd00:10:244:1::1","routes":[{"dst":"::/0"}]},"dns":{}}
        """);

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private CniResult _parsed = null!;
    private Utf8JsonWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _parsed = CniResult.Parse(s_result100);
        _writer = new Utf8JsonWriter(_buffer);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _writer.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public CniResult Parse_100() => CniResult.Parse(s_result100);

    [Benchmark]
    public CniResult Parse_020() => CniResult.Parse(s_result020);

    [Benchmark]
    public CniResult ConvertTo_040() => _parsed.ConvertTo(CniVersion.V0_4_0);

    [Benchmark]
    public CniResult ConvertTo_020() => _parsed.ConvertTo(CniVersion.V0_2_0);

    [Benchmark]
    public int WriteTo_ReusedWriter()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset();
        _parsed.WriteTo(_writer);
        _writer.Flush();
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public byte[] ToUtf8Bytes() => _parsed.ToUtf8Bytes();

    /// <summary>What a runtime does per plugin: parse, convert to the list's version, serialize for the next prevResult.</summary>
    [Benchmark]
    public byte[] ParseConvertSerialize() => CniResult.Parse(s_result100).ConvertTo(CniVersion.V1_1_0).ToUtf8Bytes();
}
