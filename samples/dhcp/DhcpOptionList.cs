using System.Globalization;
using System.Text;
using Cni.Net.Dhcp;
using Cni.Net.Spec;

namespace Cni.Net.Samples.Dhcp;

/// <summary>
/// The reference's <c>prepareOptions</c>: <c>provide</c> becomes options sent with every DISCOVER and REQUEST (a
/// value, and/or one taken from CNI_ARGS), <c>request</c> becomes the parameter request list (plus subnet mask and
/// routers unless an entry says <c>skipDefault</c>).
/// </summary>
internal static class DhcpOptionList
{
    public const string DefaultSocketPath = "/run/cni/dhcp.sock";

    private static readonly Dictionary<string, byte> s_names = new(StringComparer.Ordinal)
    {
        ["dhcp-client-identifier"] = DhcpOptionCode.ClientIdentifier,
        ["subnet-mask"] = DhcpOptionCode.SubnetMask,
        ["routers"] = DhcpOptionCode.Router,
        ["host-name"] = DhcpOptionCode.HostName,
        ["user-class"] = DhcpOptionCode.UserClass,
        ["vendor-class-identifier"] = DhcpOptionCode.VendorClassIdentifier,
    };

    public static string SocketPath(DhcpConfig config)
        => config.Ipam?.DaemonSocketPath is { Length: > 0 } path ? path : DefaultSocketPath;

    /// <summary>Fills <paramref name="options"/>; <paramref name="cniArgs"/> is the raw CNI_ARGS.</summary>
    /// <exception cref="CniException">Code 7: an option name or value the reference refuses.</exception>
    public static void Apply(DhcpIpamSection? ipam, string? cniArgs, DhcpClientOptions options)
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in (cniArgs ?? "").Split(';'))
        {
            string[] kv = pair.Split('=', 2);
            if (kv.Length > 1)
            {
                args[kv[0]] = kv[1];
            }
        }
        foreach (DhcpProvideOption provide in ipam?.Provide ?? [])
        {
            byte code = Parse(provide.Option);
            if (provide.Value is { Length: > 0 } value)
            {
                Add(options, code, value, $"value too long for option \"{provide.Option}\"");
            }
            if (args.TryGetValue(provide.FromArg ?? "", out string? fromArg))
            {
                Add(options, code, fromArg, $"value too long for option \"{provide.Option}\" from CNI_ARGS \"{provide.FromArg}\"");
            }
        }
        options.ParameterRequestList.Clear();
        bool skipDefault = false;
        foreach (DhcpRequestOption request in ipam?.Request ?? [])
        {
            skipDefault |= request.SkipDefault;
            if (request.Option is { Length: > 0 })
            {
                AddUnique(options.ParameterRequestList, Parse(request.Option));
            }
        }
        if (!skipDefault)
        {
            AddUnique(options.ParameterRequestList, DhcpOptionCode.Router);
            AddUnique(options.ParameterRequestList, DhcpOptionCode.SubnetMask);
        }
    }

    private static void AddUnique(IList<byte> list, byte code)
    {
        if (!list.Contains(code))
        {
            list.Add(code);
        }
    }

    /// <summary>Later entries for one code replace earlier ones (the reference's Options.Update).</summary>
    private static void Add(DhcpClientOptions options, byte code, string value, string tooLong)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length > 255)
        {
            throw CniException.InvalidConfig("ipam.provide", tooLong);
        }
        for (int i = options.ExtraOptions.Count - 1; i >= 0; i--)
        {
            if (options.ExtraOptions[i].Code == code)
            {
                options.ExtraOptions.RemoveAt(i);
            }
        }
        options.ExtraOptions.Add(new DhcpOptionValue(code, bytes));
    }

    private static byte Parse(string? option)
    {
        if (option is not null && s_names.TryGetValue(option, out byte code))
        {
            return code;
        }
        if (byte.TryParse(option, NumberStyles.None, CultureInfo.InvariantCulture, out code))
        {
            return code;
        }
        throw CniException.InvalidConfig("ipam", $"Can not parse option \"{option}\": not a known name nor a number 0-255");
    }
}
