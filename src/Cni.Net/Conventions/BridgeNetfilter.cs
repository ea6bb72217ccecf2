using Cni.Net.Namespaces;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Conventions;

/// <summary>
/// <c>bridge-nf-call-iptables=1</c> (and the ip6 twin) where bridge netfilter exists, so that traffic between pods
/// on one bridge passes through iptables (a kube-proxy in iptables mode needs it).
/// </summary>
internal static class BridgeNetfilter
{
    internal const string CallIptables = "net/bridge/bridge-nf-call-iptables";
    internal const string CallIp6tables = "net/bridge/bridge-nf-call-ip6tables";

    /// <summary>Sets both sysctls when present; returns whether bridge netfilter exists. Failures are logged, not fatal.</summary>
    public static bool Enable(ILogger logger)
    {
        bool present = false;
        foreach (string key in (ReadOnlySpan<string>)[CallIptables, CallIp6tables])
        {
            try
            {
                if (Sysctl.Read(key) != "1")
                {
                    Sysctl.Write(key, "1");
                }
                present = true;
            }
            catch (FileNotFoundException)
            {
                ConventionsLog.NoBridgeNetfilter(logger, key);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                present = true;
                ConventionsLog.SysctlFailed(logger, key, e.Message);
            }
        }
        return present;
    }
}
