using System.Globalization;

namespace Cni.Net.TrafficControl;

/// <summary>
/// The packet scheduler's clock from <c>/proc/net/psched</c>: tc expresses tbf buffers in its ticks. On current
/// kernels the file reads <c>000003e8 00000040 000f4240 3b9aca00</c>, i.e. 1000/64 = 15.625 ticks per microsecond.
/// </summary>
public sealed class PschedClock
{
    private static readonly Lazy<PschedClock> s_current = new(() => FromFile("/proc/net/psched"));

    private PschedClock(double ticksPerMicrosecond)
    {
        TicksPerMicrosecond = ticksPerMicrosecond;
    }

    /// <summary>Scheduler ticks per microsecond.</summary>
    public double TicksPerMicrosecond { get; }

    /// <summary>This kernel's clock (read once).</summary>
    public static PschedClock Current => s_current.Value;

    /// <summary>A clock with a given tick rate (for tests and for computing another machine's values).</summary>
    /// <param name="ticksPerMicrosecond">Ticks per microsecond, greater than zero.</param>
    /// <returns>The clock.</returns>
    public static PschedClock FromTicksPerMicrosecond(double ticksPerMicrosecond) =>
        ticksPerMicrosecond > 0 && double.IsFinite(ticksPerMicrosecond)
            ? new PschedClock(ticksPerMicrosecond)
            : throw new ArgumentOutOfRangeException(nameof(ticksPerMicrosecond), ticksPerMicrosecond, "must be a positive number");

    /// <summary>Parses the four hexadecimal words of <c>/proc/net/psched</c> as iproute2 and the Go netlink library do.</summary>
    /// <param name="text">The file content.</param>
    /// <returns>The clock.</returns>
    /// <exception cref="FormatException">Not four hexadecimal words.</exception>
    public static PschedClock Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 4)
        {
            throw new FormatException($"/proc/net/psched should hold four hexadecimal words, not '{text.Trim()}'");
        }
        Span<ulong> v = stackalloc ulong[4];
        for (int i = 0; i < 4; i++)
        {
            if (!ulong.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v[i]) || v[i] > uint.MaxValue)
            {
                throw new FormatException($"/proc/net/psched word '{parts[i]}' is not a 32-bit hexadecimal number");
            }
        }
        if (v[1] == 0 || v[2] == 0)
        {
            throw new FormatException($"/proc/net/psched holds a zero divisor: '{text.Trim()}'");
        }
        // Kernels whose clock resolution is 1 GHz report ticks in the second word (compatibility rule of tc).
        if (v[2] == 1_000_000_000)
        {
            v[0] = v[1];
        }
        double clockFactor = v[2] / 1_000_000.0;
        return new PschedClock(v[0] / (double)v[1] * clockFactor);
    }

    /// <summary>Reads a psched file.</summary>
    /// <param name="path">Usually <c>/proc/net/psched</c>.</param>
    /// <returns>The clock.</returns>
    public static PschedClock FromFile(string path) => Parse(Interop.ProcFile.ReadText(path));

    /// <summary>Microseconds to ticks, saturating at <see cref="uint.MaxValue"/> instead of wrapping.</summary>
    /// <param name="microseconds">The time.</param>
    /// <returns>The ticks.</returns>
    public uint ToTicks(double microseconds) => Saturate(microseconds * TicksPerMicrosecond);

    internal static uint Saturate(double value) =>
        value >= uint.MaxValue ? uint.MaxValue : value <= 0 || double.IsNaN(value) ? 0 : (uint)value;
}
