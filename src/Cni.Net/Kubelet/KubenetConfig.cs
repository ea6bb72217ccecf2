using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cni.Net.Spec;

namespace Cni.Net.Kubelet;

/// <summary>
/// The network list kubenet runs for every pod, generated as the kubelet's kubenet generates its config: a bridge
/// <c>cbr0</c> acting as gateway without ipMasq (kubenet masquerades itself), host-local on the pod CIDR(s) with a
/// default route per family, hairpin or promiscuous mode per <c>--hairpin-mode</c>; then portmap and bandwidth,
/// each only when installed, declaring the capabilities the pod's host ports and annotations fill.
/// </summary>
internal static class KubenetConfig
{
    internal const string NetworkName = "kubenet";
    internal const string BridgeName = "cbr0";

    public static NetworkConfigList Build(CniVersion version, IReadOnlyList<IPNetwork> podCidrs, int mtu, HairpinMode hairpinMode,
        string? dataDirectory, bool withPortMap, bool withBandwidth)
    {
        ArgumentNullException.ThrowIfNull(podCidrs);
        if (podCidrs.Count == 0)
        {
            throw new ArgumentException("kubenet needs a pod CIDR", nameof(podCidrs));
        }
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("cniVersion", version.ToString());
            json.WriteString("name", NetworkName);
            json.WriteStartArray("plugins");

            json.WriteStartObject();
            json.WriteString("type", "bridge");
            json.WriteString("bridge", BridgeName);
            json.WriteNumber("mtu", mtu);
            json.WriteString("addIf", PodRuntimeRequest.PodInterface);
            json.WriteBoolean("isGateway", true);
            json.WriteBoolean("ipMasq", false);
            json.WriteBoolean("hairpinMode", hairpinMode == HairpinMode.HairpinVeth);
            if (hairpinMode == HairpinMode.PromiscuousBridge)
            {
                json.WriteBoolean("promiscMode", true);
            }
            json.WriteStartObject("ipam");
            json.WriteString("type", "host-local");
            json.WriteStartArray("ranges");
            foreach (IPNetwork cidr in podCidrs)
            {
                json.WriteStartArray();
                json.WriteStartObject();
                json.WriteString("subnet", cidr.ToString());
                json.WriteEndObject();
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteStartArray("routes");
            foreach (IPNetwork cidr in podCidrs)
            {
                json.WriteStartObject();
                json.WriteString("dst", cidr.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "::/0" : "0.0.0.0/0");
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (dataDirectory is not null)
            {
                json.WriteString("dataDir", dataDirectory);
            }
            json.WriteEndObject();
            json.WriteEndObject();

            if (withPortMap)
            {
                WriteCapabilityPlugin(json, "portmap", "portMappings");
            }
            if (withBandwidth)
            {
                WriteCapabilityPlugin(json, "bandwidth", "bandwidth");
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return NetworkConfigList.Parse(buffer.WrittenSpan);
    }

    private static void WriteCapabilityPlugin(Utf8JsonWriter json, string type, string capability)
    {
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteStartObject("capabilities");
        json.WriteBoolean(capability, true);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
