using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Cri;

/// <summary>
/// A pod sandbox as containerd reports it: id, address, the pause process (whose network namespace the test enters
/// with <c>nsenter</c>, as the netns file containerd bound lives in the node's private mount namespace) and that path.
/// </summary>
internal sealed record CriPod(string Id, string Name, string Address, int Pid, string NetnsPath)
{
    /// <summary>The command prefix that runs a program in the pod's network namespace.</summary>
    public string[] Enter => ["nsenter", $"--net=/proc/{Pid}/ns/net", "--"];

    public Shell.Output Exec(params string[] args) => Shell.Run(Enter[0], [.. Enter[1..], .. args]);

    public bool Ping(string address) => Exec("ping", "-c", "1", "-W", "2", address).ExitCode == 0;

    /// <summary>The host end of the pod's veth in the node: the node link whose index is eth0's peer index.</summary>
    public string HostVeth(TestNamespace node)
    {
        int peer = Shell.Json(Enter[0], [.. Enter[1..], "ip", "-j", "link", "show", "eth0"])[0].GetProperty("link_index").GetInt32();
        return node.IpJson("link", "show").EnumerateArray().First(l => l.GetProperty("ifindex").GetInt32() == peer)
            .GetProperty("ifname").GetString()!;
    }
}
