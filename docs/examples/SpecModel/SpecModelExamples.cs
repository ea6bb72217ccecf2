using System.Text;
using System.Text.Json.Nodes;
using Cni.Net.Configuration;
using Cni.Net.Spec;

namespace Cni.Net.Examples.SpecModel;

/// <summary>The snippets of docs/getting-started.md, each in the region the guide shows.</summary>
public static class SpecModelExamples
{
    public static (bool CanCheck, bool CanGc) Versions()
    {
        #region versions
        CniVersion v = CniVersion.Parse("1.0.0");
        bool canCheck = v >= CniVersion.V0_4_0;          // CHECK exists from 0.4.0
        bool canGc = v >= CniVersion.V1_1_0;             // GC and STATUS from 1.1.0
        #endregion
        return (canCheck, canGc);
    }

    /// <summary>
    /// Reads the node's kubenet conflist: the integration tests run it as <c>dotnet SpecModel.dll ReadList</c> over a
    /// private /etc/cni/net.d (DocExampleKernelTests).
    /// </summary>
    public static (NetworkConfigList List, CniVersion Version) ReadList()
    {
        #region read-list
        NetworkConfigList list = NetworkConfigList.Parse(File.ReadAllBytes("/etc/cni/net.d/10-kubenet.conflist"));
        CniVersion version = list.NegotiateVersion();    // highest of cniVersion ∪ cniVersions that Cni.Net supports
        foreach (PluginConfig plugin in list.Plugins)
        {
            Console.WriteLine($"{plugin.Type} capabilities: {string.Join(",", plugin.Capabilities.Keys)}");
        }
        #endregion
        return (list, version);
    }

    public static NetworkConfigList Lift(byte[] confBytes)
    {
        #region lift
        NetworkConfigList lifted = NetworkConfigList.FromPluginConfig(PluginConfig.Parse(confBytes));
        // lifted.Bytes == {"cniVersion":…,"name":…,"plugins":[<the conf>]}
        #endregion
        return lifted;
    }

    public static byte[] Inject(NetworkConfigList list, CniVersion version, CniResult? previousResult)
    {
        #region inject
        PluginConfig request = list.Plugins[0].Clone();
        request.Name = list.Name;
        request.CniVersion = version;
        request.RuntimeConfigJson = new JsonObject { ["portMappings"] = JsonNode.Parse("""[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]""") };
        request.PrevResult = previousResult;
        byte[] stdin = request.ToUtf8Bytes();
        #endregion
        return stdin;
    }

    public static (string Bridge, bool IsGateway) TypedView(PluginConfig config)
    {
        #region typed-view-use
        BridgeConfig bridge = config.As(BridgeJsonContext.Default.BridgeConfig);
        #endregion
        return (bridge.Bridge, bridge.IsGateway);
    }

    public static byte[] Results(byte[] stdout, CniVersion version)
    {
        #region results
        CniResult result = CniResult.Parse(stdout, versionIfMissing: version);   // plugins may omit cniVersion
        CniResult forOldRuntime = result.ConvertTo(CniVersion.V0_2_0);
        byte[] json = forOldRuntime.ToUtf8Bytes();            // compact; ToUtf8Bytes(indented: true) prints like Go
        #endregion
        return json;
    }

    public static (CniException Raised, string Printed) Errors(byte[] stdout, CniVersion version, TextWriter console)
    {
        Console.SetOut(console);
        try
        {
            throw CniException.InvalidConfig("mtu", "70000 is out of range");
        }
        #region errors
        catch (CniException e)
        {
            Console.Out.Write(Encoding.UTF8.GetString(e.ToError(version).ToUtf8Bytes()));   // what a plugin prints
        }
        CniException fromPlugin = CniException.FromError(CniError.Parse(stdout));            // what a runtime raises
        #endregion
        return (fromPlugin, console.ToString() ?? "");
    }

    /// <summary>Scans the node's /etc/cni/net.d (run like <see cref="ReadList"/>), warnings to <paramref name="stderr"/>.</summary>
    public static CniConfigDirectory ConfDir(TextWriter stderr)
    {
        Console.SetError(stderr);
        #region conf-dir
        CniConfigDirectory conf = CniConfigDirectory.Load("/etc/cni/net.d");
        NetworkConfigFile? network = conf.Default;          // .Config (the list), .Version (negotiated), .DropInFiles
        foreach (SkippedConfigFile skipped in conf.Skipped)
        {
            Console.Error.WriteLine(skipped);                // /etc/cni/net.d/00-typo.conflist:5:23: network config list: invalid JSON …
        }
        #endregion
        _ = network;
        return conf;
    }
}
