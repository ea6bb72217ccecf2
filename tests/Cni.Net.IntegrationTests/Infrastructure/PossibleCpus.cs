using System.Globalization;

namespace Cni.Net.IntegrationTests.Infrastructure;

/// <summary>The kernel's possible CPUs, which a veth left to its defaults gets one queue each of.</summary>
internal static class PossibleCpus
{
    /// <summary>The count in <c>/sys/devices/system/cpu/possible</c> ("0-1" → 2, "0,2-3" → 3).</summary>
    public static int Count()
    {
        int count = 0;
        foreach (string range in File.ReadAllText("/sys/devices/system/cpu/possible").Trim().Split(','))
        {
            count += range.Split('-') is [string first, string last]
                ? int.Parse(last, CultureInfo.InvariantCulture) - int.Parse(first, CultureInfo.InvariantCulture) + 1
                : 1;
        }
        return count;
    }
}
