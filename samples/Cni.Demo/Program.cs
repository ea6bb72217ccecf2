using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Configuration;
using Cni.Net.Spec;

namespace Cni.Demo;

/// <summary>
/// Shows Cni.Net's spec model on a conf dir: how a kubelet would pick the network, which files it skips and why,
/// which version it runs, and one result (from the reference host-local when installed) in every CNI version.
/// Usage: cni-demo [conf-dir] [cni-bin-dir]
/// </summary>
internal static class Program
{
    private const string ContainerId = "demo-ctr-1";

    private static int Main(string[] args)
    {
        string confDir = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "net.d");
        string binDir = args.Length > 1 ? args[1] : "/usr/lib/cni";
        try
        {
            NetworkConfigFile? network = ScanConfDir(confDir);
            if (network is null)
            {
                return 1;
            }
            CniVersion version = Negotiate(network, binDir);
            CniResult result = ObtainResult(network, binDir, version);
            PrintInEveryVersion(result);
            ShowFailures();
            return 0;
        }
        catch (CniException e)
        {
            // What a runtime would print for a CNI failure: the error object, never a stack trace.
            Console.Error.WriteLine(Encoding.UTF8.GetString(e.ToError(CniVersion.Latest).ToUtf8Bytes()));
            return 1;
        }
    }

    private static void Heading(string text)
    {
        Console.WriteLine();
        Console.WriteLine("== " + text);
    }

    private static NetworkConfigFile? ScanConfDir(string confDir)
    {
        Heading($"1. Scan {confDir} as kubelet and libcni do (*.conflist, *.conf, *.json in ordinal name order)");
        CniConfigDirectory conf = CniConfigDirectory.Load(confDir);
        foreach (NetworkConfigFile n in conf.Networks)
        {
            string plugins = string.Join(", ", n.Config.Plugins.Select(p => p.Type));
            string how = n.IsList ? "list" : ".conf lifted into a list of one";
            Console.WriteLine($"   used     {Path.GetFileName(n.Path),-20} network '{n.Config.Name}' ({how}): plugins [{plugins}]");
            foreach (string dropIn in n.DropInFiles)
            {
                Console.WriteLine($"            + drop-in {Path.GetRelativePath(confDir, dropIn)} appended (loadOnlyInlinedPlugins is false)");
            }
        }
        foreach (SkippedConfigFile s in conf.Skipped)
        {
            string where = s.Line is null ? "" : $" (line {s.Line}, byte {s.BytePositionInLine})";
            Console.WriteLine($"   skipped  {Path.GetRelativePath(confDir, s.Path),-20} code {(uint?)s.Code}{where}: {s.Reason}");
        }

        NetworkConfigFile? network = conf.Default;
        if (network is null)
        {
            Console.WriteLine("   no valid network: a kubelet would report the node NotReady");
            return null;
        }
        Console.WriteLine($"   default network: '{network.Config.Name}' from {Path.GetFileName(network.Path)} (the first valid file)");
        foreach (NetworkConfigFile other in conf.Networks.Skip(1))
        {
            Console.WriteLine($"   lookup by name '{other.Config.Name}' -> {Path.GetFileName(conf.Find(other.Config.Name)!.Path)}");
        }
        Console.WriteLine($"   the list's bytes as libcni caches them: {network.Config.Bytes.Length} bytes; unknown keys kept, e.g. " +
            $"x-vendor-note = {network.Config.Plugins[0].Json["x-vendor-note"]?.ToJsonString() ?? "(none)"}");
        return network;
    }

    private static CniVersion Negotiate(NetworkConfigFile network, string binDir)
    {
        Heading("2. Negotiate the version");
        NetworkConfigList list = network.Config;
        Console.WriteLine($"   cniVersion {list.CniVersion}, cniVersions [{string.Join(", ", list.CniVersions)}]");
        Console.WriteLine($"   Cni.Net supports [{string.Join(", ", CniVersion.Supported)}]");
        CniVersion version = list.NegotiateVersion();
        Console.WriteLine($"   -> the list runs with {version} (the highest of both that Cni.Net supports)");
        Console.WriteLine($"   CHECK {(version >= CniVersion.V0_4_0 && !list.DisableCheck ? "allowed" : "not allowed")}" +
            $" (disableCheck={list.DisableCheck}); GC/STATUS {(version >= CniVersion.V1_1_0 ? "allowed" : "need 1.1.0")}");

        string hostLocal = Path.Combine(binDir, "host-local");
        if (!File.Exists(hostLocal))
        {
            return version;
        }
        // Ask the IPAM plugin what it speaks, as a runtime validating the list would.
        string stdout = Run(hostLocal, "VERSION", $$"""{"cniVersion":"{{version}}"}""", out int exit);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        CniVersion[] supported = [.. doc.RootElement.GetProperty("supportedVersions").EnumerateArray()
            .Select(v => CniVersion.Parse(v.GetString()!))];
        Console.WriteLine($"   {hostLocal} answers VERSION (exit {exit}) with [{string.Join(", ", supported)}]");
        CniVersion common = supported.Where(v => v <= version && v.IsSupported).Max();
        if (common != version)
        {
            Console.WriteLine($"   -> it lacks {version}; the demo asks it for {common}, the highest version both sides speak");
        }
        return common;
    }

    private static CniResult ObtainResult(NetworkConfigFile network, string binDir, CniVersion version)
    {
        Heading("3. Get a result");
        PluginConfig bridge = network.Config.Plugins[0];
        string hostLocal = Path.Combine(binDir, "host-local");
        CniResult result;
        if (File.Exists(hostLocal) && bridge.Ipam is not null)
        {
            string dataDir = Directory.CreateTempSubdirectory("cni-demo-").FullName;
            try
            {
                // The delegated IPAM call gets the whole plugin config with the runtime's injected keys.
                PluginConfig request = bridge.Clone();
                request.Name = network.Config.Name;
                request.CniVersion = version;
                request.Ipam!["dataDir"] = dataDir;
                byte[] stdin = request.ToUtf8Bytes();
                Console.WriteLine($"   stdin to host-local ADD: {Encoding.UTF8.GetString(stdin)}");
                string stdout = Run(hostLocal, "ADD", Encoding.UTF8.GetString(stdin), out int exit);
                if (exit != 0)
                {
                    throw CniException.FromError(CniError.Parse(Encoding.UTF8.GetBytes(stdout)));
                }
                result = CniResult.Parse(Encoding.UTF8.GetBytes(stdout), versionIfMissing: version);
                Console.WriteLine($"   host-local printed a {result.CniVersion} result:");
                Console.WriteLine(Indent(stdout));
                Run(hostLocal, "DEL", Encoding.UTF8.GetString(stdin), out _);
                Console.WriteLine($"   (released again with DEL; the temporary dataDir {dataDir} is removed)");
            }
            finally
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
        else
        {
            Console.WriteLine($"   {hostLocal} is not installed: building the result host-local would print");
            result = new CniResult(version) { Dns = new CniDns() };
            result.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("10.244.1.2/24"), Gateway = IPAddress.Parse("10.244.1.1") });
            result.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("fd00:10:244:1::2/64"), Gateway = IPAddress.Parse("fd00:10:244:1::1") });
            result.Routes.Add(new CniRoute { Destination = CniIPNet.Parse("0.0.0.0/0") });
            result.Routes.Add(new CniRoute { Destination = CniIPNet.Parse("::/0") });
        }

        // What the bridge plugin adds around its IPAM result (1.1.0 also knows the interface MTU).
        result = result.ConvertTo(CniVersion.Latest);
        result.Interfaces.Add(new CniInterface { Name = "cni0", Mac = "0a:58:0a:f4:01:01", Mtu = 1500 });
        result.Interfaces.Add(new CniInterface { Name = "veth1c2d3e4f", Mac = "86:1a:2b:3c:4d:5e", Mtu = 1500 });
        result.Interfaces.Add(new CniInterface { Name = "eth0", Mac = "0a:58:0a:f4:01:02", Mtu = 1500, Sandbox = "/var/run/netns/" + ContainerId });
        foreach (CniIPConfig ip in result.IPs)
        {
            ip.Interface = 2;
        }
        result.Routes[0].Priority = 100;
        Console.WriteLine("   completed as the bridge plugin would (interfaces, ips[].interface, 1.1.0 mtu and route priority)");
        return result;
    }

    private static void PrintInEveryVersion(CniResult result)
    {
        Heading("4. The same result in every CNI version (CniResult.ConvertTo + ToUtf8Bytes)");
        foreach (CniVersion version in CniVersion.Supported.Reverse())
        {
            string note = version < CniVersion.V0_3_0
                ? "ip4/ip6: first IPv4 and first IPv6 only, no interfaces"
                : version < CniVersion.V1_0_0
                    ? "ips carry \"version\"; no interface mtu, no route priority"
                    : version < CniVersion.V1_1_0 ? "no interface mtu, no route priority" : "everything";
            Console.WriteLine($"   {version}  ({note})");
            Console.WriteLine("     " + Encoding.UTF8.GetString(result.ConvertTo(version).ToUtf8Bytes()));
        }
    }

    private static void ShowFailures()
    {
        Heading("5. What cannot be converted, and bad input");
        var noAddress = new CniResult(CniVersion.V1_0_0);
        noAddress.Interfaces.Add(new CniInterface { Name = "eth0" });
        try
        {
            noAddress.ConvertTo(CniVersion.V0_2_0);
        }
        catch (CniException e)
        {
            Console.WriteLine($"   a result without IP addresses to 0.2.0 -> code {(uint)e.Code}: {e.Message}");
        }
        try
        {
            CniResult.Parse("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.300/24"}]}"""u8);
        }
        catch (CniException e)
        {
            Console.WriteLine($"   a result with a bad address -> code {(uint)e.Code}: {e.Message}");
        }
        try
        {
            CniArgs.Parse("K8S_POD_NAME=web-0;BROKEN");
        }
        catch (CniException e)
        {
            Console.WriteLine($"   CNI_ARGS with a pair lacking '=' -> code {(uint)e.Code}: {e.Message}");
        }
        CniArgs kubelet = CniArgs.Parse("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0");
        Console.WriteLine($"   CNI_ARGS from a kubelet: pod {kubelet["K8S_POD_NAMESPACE"]}/{kubelet["K8S_POD_NAME"]}, IgnoreUnknown={kubelet.IgnoreUnknown}");
    }

    private static string Run(string plugin, string command, string stdin, out int exitCode)
    {
        var psi = new ProcessStartInfo(plugin)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["CNI_COMMAND"] = command;
        psi.Environment["CNI_CONTAINERID"] = ContainerId;
        psi.Environment["CNI_NETNS"] = "/var/run/netns/" + ContainerId;
        psi.Environment["CNI_IFNAME"] = "eth0";
        psi.Environment["CNI_PATH"] = Path.GetDirectoryName(plugin)!;
        using Process p = Process.Start(psi)!;
        try
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // VERSION may answer without reading stdin.
        }
        string stdout = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        exitCode = p.ExitCode;
        return stdout;
    }

    private static string Indent(string text) =>
        string.Join('\n', text.Split('\n').Select(line => "     " + line));
}
