using System.Text.Json;

namespace Cni.Net.Spec;

public sealed partial class CniResult
{
    /// <summary>
    /// Parses a result in any supported version's format. A result without <c>cniVersion</c> takes
    /// <paramref name="versionIfMissing"/> (libcni uses the configuration's version for such plugin output).
    /// </summary>
    /// <exception cref="CniException">
    /// Code <see cref="CniErrorCode.DecodingFailure"/> for malformed JSON, wrong types or bad addresses (the message
    /// names the field); <see cref="CniErrorCode.IncompatibleVersion"/> for an unknown or missing version.
    /// </exception>
    public static CniResult Parse(ReadOnlySpan<byte> json, CniVersion? versionIfMissing = null)
    {
        CniJson.EnsureUtf8(json, "result");
        try
        {
            var reader = new Utf8JsonReader(json, CniJson.ReaderOptions);
            CniJson.ReadStartObject(ref reader, "result");
            Span<char> name = stackalloc char[CniJson.NameBufferLength];
            var result = new CniResult();
            string? versionText = null;
            Legacy020? ip4 = null;
            Legacy020? ip6 = null;
            while (CniJson.ReadProperty(ref reader, name, out int nameLength))
            {
                switch (name[..nameLength])
                {
                    case "cniversion":
                        versionText = CniJson.ReadNullableString(ref reader, "cniVersion");
                        break;
                    case "interfaces":
                        ReadInterfaces(ref reader, result.Interfaces);
                        break;
                    case "ips":
                        ReadIPs(ref reader, result.IPs);
                        break;
                    case "routes":
                        ReadRoutes(ref reader, result.Routes, RouteFields.Current);
                        break;
                    case "dns":
                        result.Dns = ReadDns(ref reader);
                        break;
                    case "ip4":
                        ip4 = ReadLegacy(ref reader, ipv4: true);
                        break;
                    case "ip6":
                        ip6 = ReadLegacy(ref reader, ipv4: false);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            CniJson.ReadEnd(ref reader);

            if (string.IsNullOrEmpty(versionText))
            {
                result.CniVersion = versionIfMissing ?? throw new CniException(CniErrorCode.IncompatibleVersion,
                    "cniVersion: the result has no version and none was given for it");
            }
            else
            {
                result.CniVersion = CniJson.ParseVersion(versionText, "cniVersion");
            }
            if (!result.CniVersion.IsSupported)
            {
                throw new CniException(CniErrorCode.IncompatibleVersion,
                    $"cniVersion: result version {result.CniVersion} is not supported (supported: {string.Join(", ", CniVersion.Supported)})");
            }

            if (result.CniVersion < CniVersion.V0_3_0)
            {
                // 0.1.0/0.2.0: only ip4/ip6 carry addresses; the newer keys are not part of this format.
                result.Interfaces.Clear();
                result.IPs.Clear();
                result.Routes.Clear();
                ip4?.AddTo(result);
                ip6?.AddTo(result);
            }
            return result;
        }
        catch (JsonException e)
        {
            throw CniJson.Malformed("result", e);
        }
        catch (InvalidOperationException e)
        {
            throw CniJson.Untranscodable("result", e);
        }
    }

    private static void ReadInterfaces(ref Utf8JsonReader reader, IList<CniInterface> list)
    {
        list.Clear(); // a repeated key replaces the list, as in Go
        if (!CniJson.ExpectArray(ref reader, "interfaces"))
        {
            return;
        }
        Span<char> name = stackalloc char[CniJson.NameBufferLength];
        while (CniJson.ReadElement(ref reader))
        {
            CniJson.ExpectObject(ref reader, "interfaces[]", allowNull: false);
            var i = new CniInterface();
            while (CniJson.ReadProperty(ref reader, name, out int nameLength))
            {
                switch (name[..nameLength])
                {
                    case "name":
                        i.Name = CniJson.ReadNullableString(ref reader, "interfaces[].name") ?? string.Empty;
                        break;
                    case "mac":
                        i.Mac = CniJson.ReadNullableString(ref reader, "interfaces[].mac");
                        break;
                    case "mtu":
                        i.Mtu = CniJson.ReadNullableInt32(ref reader, "interfaces[].mtu");
                        break;
                    case "sandbox":
                        i.Sandbox = CniJson.ReadNullableString(ref reader, "interfaces[].sandbox");
                        break;
                    case "socketpath":
                        i.SocketPath = CniJson.ReadNullableString(ref reader, "interfaces[].socketPath");
                        break;
                    case "pciid":
                        i.PciId = CniJson.ReadNullableString(ref reader, "interfaces[].pciID");
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            list.Add(i);
        }
    }

    private static void ReadIPs(ref Utf8JsonReader reader, IList<CniIPConfig> list)
    {
        list.Clear(); // a repeated key replaces the list, as in Go
        if (!CniJson.ExpectArray(ref reader, "ips"))
        {
            return;
        }
        Span<char> name = stackalloc char[CniJson.NameBufferLength];
        while (CniJson.ReadElement(ref reader))
        {
            CniJson.ExpectObject(ref reader, "ips[]", allowNull: false);
            var ip = new CniIPConfig();
            bool hasAddress = false;
            while (CniJson.ReadProperty(ref reader, name, out int nameLength))
            {
                switch (name[..nameLength])
                {
                    case "address":
                        ip.Address = CniJson.ReadIPNet(ref reader, "ips[].address");
                        hasAddress = true;
                        break;
                    case "gateway":
                        ip.Gateway = CniJson.ReadNullableIPAddress(ref reader, "ips[].gateway");
                        break;
                    case "interface":
                        ip.Interface = CniJson.ReadNullableInt32(ref reader, "ips[].interface");
                        if (ip.Interface < 0)
                        {
                            throw CniJson.OutOfRange(ref reader, "ips[].interface");
                        }
                        break;
                    case "version":
                        // 0.3.x/0.4.0 only; written again from the address family.
                        CniJson.ReadNullableString(ref reader, "ips[].version");
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            if (!hasAddress)
            {
                throw CniJson.Missing("ips[].address");
            }
            list.Add(ip);
        }
    }

    /// <summary>Field names for error messages, fixed per location so that no path string is built on the happy path.</summary>
    private sealed record RouteFields(string Array, string Element, string Dst)
    {
        public static readonly RouteFields Current = new("routes", "routes[]", "routes[].dst");
        public static readonly RouteFields Ip4 = new("ip4.routes", "ip4.routes[]", "ip4.routes[].dst");
        public static readonly RouteFields Ip6 = new("ip6.routes", "ip6.routes[]", "ip6.routes[].dst");
    }

    private static void ReadRoutes(ref Utf8JsonReader reader, IList<CniRoute> list, RouteFields field)
    {
        list.Clear(); // a repeated key replaces the list, as in Go
        if (!CniJson.ExpectArray(ref reader, field.Array))
        {
            return;
        }
        Span<char> name = stackalloc char[CniJson.NameBufferLength];
        while (CniJson.ReadElement(ref reader))
        {
            CniJson.ExpectObject(ref reader, field.Element, allowNull: false);
            var route = new CniRoute();
            bool hasDst = false;
            while (CniJson.ReadProperty(ref reader, name, out int nameLength))
            {
                switch (name[..nameLength])
                {
                    case "dst":
                        route.Destination = CniJson.ReadIPNet(ref reader, field.Dst);
                        hasDst = true;
                        break;
                    case "gw":
                        route.Gateway = CniJson.ReadNullableIPAddress(ref reader, "routes[].gw");
                        break;
                    case "mtu":
                        route.Mtu = CniJson.ReadNullableInt32(ref reader, "routes[].mtu");
                        break;
                    case "advmss":
                        route.AdvMss = CniJson.ReadNullableInt32(ref reader, "routes[].advmss");
                        break;
                    case "priority":
                        route.Priority = CniJson.ReadNullableInt32(ref reader, "routes[].priority");
                        break;
                    case "table":
                        route.Table = CniJson.ReadNullableInt32(ref reader, "routes[].table");
                        break;
                    case "scope":
                        route.Scope = CniJson.ReadNullableInt32(ref reader, "routes[].scope");
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            if (!hasDst)
            {
                throw CniJson.Missing(field.Dst);
            }
            list.Add(route);
        }
    }

    internal static CniDns? ReadDns(ref Utf8JsonReader reader)
    {
        if (!CniJson.ExpectObject(ref reader, "dns"))
        {
            return null;
        }
        var dns = new CniDns();
        Span<char> name = stackalloc char[CniJson.NameBufferLength];
        while (CniJson.ReadProperty(ref reader, name, out int nameLength))
        {
            switch (name[..nameLength])
            {
                case "nameservers":
                    CniJson.ReadStringArray(ref reader, dns.Nameservers, "dns.nameservers", "dns.nameservers[]");
                    break;
                case "domain":
                    dns.Domain = CniJson.ReadNullableString(ref reader, "dns.domain");
                    break;
                case "search":
                    CniJson.ReadStringArray(ref reader, dns.Search, "dns.search", "dns.search[]");
                    break;
                case "options":
                    CniJson.ReadStringArray(ref reader, dns.Options, "dns.options", "dns.options[]");
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return dns;
    }

    private static Legacy020? ReadLegacy(ref Utf8JsonReader reader, bool ipv4)
    {
        if (!CniJson.ExpectObject(ref reader, ipv4 ? "ip4" : "ip6"))
        {
            return null;
        }
        var legacy = new Legacy020();
        Span<char> name = stackalloc char[CniJson.NameBufferLength];
        bool hasIp = false;
        while (CniJson.ReadProperty(ref reader, name, out int nameLength))
        {
            switch (name[..nameLength])
            {
                case "ip":
                    legacy.IP.Address = CniJson.ReadIPNet(ref reader, ipv4 ? "ip4.ip" : "ip6.ip");
                    hasIp = true;
                    break;
                case "gateway":
                    legacy.IP.Gateway = CniJson.ReadNullableIPAddress(ref reader, ipv4 ? "ip4.gateway" : "ip6.gateway");
                    break;
                case "routes":
                    ReadRoutes(ref reader, legacy.Routes, ipv4 ? RouteFields.Ip4 : RouteFields.Ip6);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (!hasIp)
        {
            throw CniJson.Missing(ipv4 ? "ip4.ip" : "ip6.ip");
        }
        return legacy;
    }

    /// <summary>A 0.1.0/0.2.0 <c>ip4</c>/<c>ip6</c> section.</summary>
    private sealed class Legacy020
    {
        public CniIPConfig IP { get; } = new();

        public List<CniRoute> Routes { get; } = [];

        public void AddTo(CniResult result)
        {
            result.IPs.Add(IP);
            foreach (CniRoute r in Routes)
            {
                result.Routes.Add(r);
            }
        }
    }
}
