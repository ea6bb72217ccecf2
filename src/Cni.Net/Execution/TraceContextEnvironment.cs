using System.Diagnostics;
using System.Text;

namespace Cni.Net.Execution;

/// <summary>
/// The caller's W3C trace context as environment variables for a plugin, as libcni (main, after v1.3.0) passes it:
/// <c>TRACEPARENT</c>, <c>TRACESTATE</c> and <c>BAGGAGE</c> (OpenTelemetry's environment carrier, OTEP 0258), only when
/// the current <see cref="Activity"/> has a W3C id. A plugin that traces can then continue the runtime's trace.
/// </summary>
internal static class TraceContextEnvironment
{
    internal static readonly string[] Names = ["TRACEPARENT", "TRACESTATE", "BAGGAGE"];

    /// <summary>Appends the variables of <paramref name="activity"/>; false (nothing appended) when it has no W3C context.</summary>
    public static bool Append(List<string> environment, Activity? activity)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { Length: > 0 } id)
        {
            return false;
        }
        // Variables inherited from the runtime's own environment would describe some other trace: ours replace them
        // (Go's exec keeps the last of duplicate names, which has the same effect for the ones libcni sets).
        environment.RemoveAll(static e => Array.Exists(Names, n => e.Length > n.Length && e[n.Length] == '=' && e.StartsWith(n, StringComparison.Ordinal)));
        environment.Add("TRACEPARENT=" + id);
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            environment.Add("TRACESTATE=" + activity.TraceStateString);
        }
        string baggage = FormatBaggage(activity);
        if (baggage.Length > 0)
        {
            environment.Add("BAGGAGE=" + baggage);
        }
        return true;
    }

    /// <summary>W3C baggage: <c>key=value</c> members joined by commas, values percent-encoded.</summary>
    internal static string FormatBaggage(Activity activity)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in activity.Baggage)
        {
            if (string.IsNullOrEmpty(key))
            {
                continue;
            }
            if (sb.Length > 0)
            {
                sb.Append(',');
            }
            sb.Append(key).Append('=').Append(Uri.EscapeDataString(value ?? string.Empty));
        }
        return sb.ToString();
    }
}
