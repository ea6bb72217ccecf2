using System.Net;
using System.Text.Json;

namespace Cni.Net.Spec;

public sealed partial class CniResult
{
    /// <summary>
    /// Writes the result in the wire format of <see cref="CniVersion"/>, omitting absent optionals and the fields
    /// that version does not define. For 0.1.0/0.2.0 the first IPv4 and IPv6 addresses become <c>ip4</c>/<c>ip6</c>.
    /// </summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        CniVersion version = CniVersion;
        writer.WriteStartObject();
        writer.WriteString("cniVersion"u8, version.ToString());
        if (version < CniVersion.V0_3_0)
        {
            WriteLegacy(writer, ipv4: true);
            WriteLegacy(writer, ipv4: false);
        }
        else
        {
            bool v11 = version >= CniVersion.V1_1_0;
            if (Interfaces.Count > 0)
            {
                writer.WriteStartArray("interfaces"u8);
                for (int i = 0; i < Interfaces.Count; i++)
                {
                    WriteInterface(writer, Interfaces[i], v11);
                }
                writer.WriteEndArray();
            }
            if (IPs.Count > 0)
            {
                bool withVersion = version < CniVersion.V1_0_0;
                writer.WriteStartArray("ips"u8);
                for (int i = 0; i < IPs.Count; i++)
                {
                    CniIPConfig ip = IPs[i];
                    writer.WriteStartObject();
                    if (withVersion)
                    {
                        writer.WriteString("version"u8, ip.Address.IsIPv4 ? "4"u8 : "6"u8);
                    }
                    if (ip.Interface is int index)
                    {
                        writer.WriteNumber("interface"u8, index);
                    }
                    WriteIPNet(writer, "address"u8, ip.Address);
                    WriteAddress(writer, "gateway"u8, ip.Gateway);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            }
            if (Routes.Count > 0)
            {
                writer.WriteStartArray("routes"u8);
                for (int i = 0; i < Routes.Count; i++)
                {
                    WriteRoute(writer, Routes[i], v11);
                }
                writer.WriteEndArray();
            }
        }
        if (Dns is not null)
        {
            writer.WritePropertyName("dns"u8);
            WriteDns(writer, Dns);
        }
        writer.WriteEndObject();
    }

    private void WriteLegacy(Utf8JsonWriter writer, bool ipv4)
    {
        CniIPConfig? ip = null;
        for (int i = 0; i < IPs.Count; i++)
        {
            if (IPs[i].Address.IsIPv4 == ipv4)
            {
                ip = IPs[i];
                break;
            }
        }
        if (ip is null)
        {
            return;
        }
        writer.WriteStartObject(ipv4 ? "ip4"u8 : "ip6"u8);
        WriteIPNet(writer, "ip"u8, ip.Address);
        WriteAddress(writer, "gateway"u8, ip.Gateway);
        bool any = false;
        for (int i = 0; i < Routes.Count; i++)
        {
            CniRoute r = Routes[i];
            if (r.Destination.IsIPv4 != ipv4)
            {
                continue;
            }
            if (!any)
            {
                writer.WriteStartArray("routes"u8);
                any = true;
            }
            WriteRoute(writer, r, v11: false);
        }
        if (any)
        {
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static void WriteInterface(Utf8JsonWriter writer, CniInterface i, bool v11)
    {
        writer.WriteStartObject();
        writer.WriteString("name"u8, i.Name);
        if (i.Mac is not null)
        {
            writer.WriteString("mac"u8, i.Mac);
        }
        if (v11 && i.Mtu is int mtu)
        {
            writer.WriteNumber("mtu"u8, mtu);
        }
        if (i.Sandbox is not null)
        {
            writer.WriteString("sandbox"u8, i.Sandbox);
        }
        if (v11 && i.SocketPath is not null)
        {
            writer.WriteString("socketPath"u8, i.SocketPath);
        }
        if (v11 && i.PciId is not null)
        {
            writer.WriteString("pciID"u8, i.PciId);
        }
        writer.WriteEndObject();
    }

    private static void WriteRoute(Utf8JsonWriter writer, CniRoute r, bool v11)
    {
        writer.WriteStartObject();
        WriteIPNet(writer, "dst"u8, r.Destination);
        WriteAddress(writer, "gw"u8, r.Gateway);
        if (v11)
        {
            WriteOptional(writer, "mtu"u8, r.Mtu);
            WriteOptional(writer, "advmss"u8, r.AdvMss);
            WriteOptional(writer, "priority"u8, r.Priority);
            WriteOptional(writer, "table"u8, r.Table);
            WriteOptional(writer, "scope"u8, r.Scope);
        }
        writer.WriteEndObject();
    }

    internal static void WriteDns(Utf8JsonWriter writer, CniDns dns)
    {
        writer.WriteStartObject();
        WriteStrings(writer, "nameservers"u8, dns.Nameservers);
        if (dns.Domain is not null)
        {
            writer.WriteString("domain"u8, dns.Domain);
        }
        WriteStrings(writer, "search"u8, dns.Search);
        WriteStrings(writer, "options"u8, dns.Options);
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }
        writer.WriteStartArray(name);
        for (int i = 0; i < values.Count; i++)
        {
            writer.WriteStringValue(values[i]);
        }
        writer.WriteEndArray();
    }

    private static void WriteOptional(Utf8JsonWriter writer, ReadOnlySpan<byte> name, int? value)
    {
        if (value is int v)
        {
            writer.WriteNumber(name, v);
        }
    }

    private static void WriteIPNet(Utf8JsonWriter writer, ReadOnlySpan<byte> name, CniIPNet value)
    {
        // address (≤ 39 chars) + '/' + prefix: format into a stack buffer instead of a string.
        Span<char> buffer = stackalloc char[64];
        int length = 0;
        if (value.Address is not null && value.Address.TryFormat(buffer, out length))
        {
            buffer[length++] = '/';
            value.PrefixLength.TryFormat(buffer[length..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
            length += written;
        }
        writer.WriteString(name, buffer[..length]);
    }

    private static void WriteAddress(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IPAddress? address)
    {
        if (address is null)
        {
            return;
        }
        Span<char> buffer = stackalloc char[64];
        address.TryFormat(buffer, out int length);
        writer.WriteString(name, buffer[..length]);
    }
}
