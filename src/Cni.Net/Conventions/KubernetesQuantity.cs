using System.Globalization;
using System.Numerics;
using Cni.Net.TrafficControl;

namespace Cni.Net.Conventions;

/// <summary>
/// Kubernetes <c>resource.Quantity</c> parsing, with the same grammar, quirks and rounding as
/// k8s.io/apimachinery: <c>&lt;number&gt;&lt;suffix&gt;</c> where the suffix is a binary SI one (Ki Mi Gi Ti Pi Ei),
/// a decimal SI one (n u m k M G T P E, and none) or a decimal exponent (<c>e6</c>, <c>E-3</c>). Used for the
/// <c>kubernetes.io/ingress-bandwidth</c> and <c>egress-bandwidth</c> pod annotations.
/// </summary>
public static class KubernetesQuantity
{
    /// <summary>The smallest bandwidth the kubelet accepts: 1k bits per second.</summary>
    public const long MinimumBandwidth = 1_000;

    /// <summary>The largest bandwidth the kubelet accepts: 1P bits per second.</summary>
    public const long MaximumBandwidth = 1_000_000_000_000_000;

    private const string SuffixChars = "eEinumkKMGTP";

    /// <summary>
    /// Parses a quantity and returns its value as <c>Quantity.Value()</c> does: rounded up, away from zero, to an
    /// integer, and capped at <see cref="long.MaxValue"/> as Kubernetes caps it.
    /// </summary>
    /// <param name="text">The quantity, such as <c>10Mi</c>, <c>500k</c>, <c>1e6</c> or <c>100m</c>.</param>
    /// <returns>The integer value.</returns>
    /// <exception cref="ArgumentException">The text is not a quantity; the message says why.</exception>
    public static long ParseValue(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParseValue(text, out long value, out string? error) ? value : throw new ArgumentException($"invalid quantity '{text}': {error}", nameof(text));
    }

    /// <summary>
    /// Parses a pod bandwidth annotation into bits per second, as the kubelet does: a quantity whose value must
    /// be at least 1k and at most 1P.
    /// </summary>
    /// <param name="text">The annotation value, such as <c>10M</c>.</param>
    /// <returns>Bits per second.</returns>
    /// <exception cref="ArgumentException">Not a quantity, or an unreasonable bandwidth.</exception>
    public static long ParseBandwidth(string text)
    {
        long value = ParseValue(text);
        if (value < MinimumBandwidth)
        {
            throw new ArgumentException($"bandwidth '{text}' is unreasonably small (< 1kbit)", nameof(text));
        }
        if (value > MaximumBandwidth)
        {
            throw new ArgumentException($"bandwidth '{text}' is unreasonably large (> 1Pbit)", nameof(text));
        }
        return value;
    }

    internal static bool TryParseValue(string str, out long value, out string? error)
    {
        value = 0;
        error = null;
        if (str.Length == 0)
        {
            error = "a quantity must not be empty";
            return false;
        }
        if (!TrySplit(str, out bool positive, out string num, out string denom, out string suffix))
        {
            error = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
            return false;
        }
        if (!TryInterpretSuffix(suffix, out int base10Exponent, out int base2Exponent))
        {
            error = $"unable to parse quantity's suffix '{suffix}'";
            return false;
        }
        BigInteger digits = BigInteger.Parse("0" + num + denom, NumberStyles.None, CultureInfo.InvariantCulture);
        if (digits.IsZero)
        {
            return true;
        }
        long exponent = (long)base10Exponent - denom.Length;
        int digitCount = digits.ToString(CultureInfo.InvariantCulture).Length;
        BigInteger magnitude;
        if (exponent + digitCount > 40)
        {
            magnitude = long.MaxValue; // Kubernetes caps every quantity at the int64 maximum.
        }
        else if (exponent + digitCount < -30)
        {
            magnitude = 1; // a positive amount below one (even times 2^60) rounds up to one
        }
        else
        {
            BigInteger numerator = digits << base2Exponent;
            if (exponent >= 0)
            {
                magnitude = numerator * BigInteger.Pow(10, (int)exponent);
            }
            else
            {
                BigInteger divisor = BigInteger.Pow(10, (int)-exponent);
                magnitude = BigInteger.DivRem(numerator, divisor, out BigInteger rest);
                if (!rest.IsZero)
                {
                    magnitude += 1;
                }
            }
            if (magnitude > long.MaxValue)
            {
                magnitude = long.MaxValue;
            }
        }
        value = positive ? (long)magnitude : -(long)magnitude;
        return true;
    }

    // The scanner of apimachinery's parseQuantityString, quirks included: "1.", ".5", "1.G" and a bare sign are
    // numbers, leading zeros are dropped, and the suffix is any run of suffix letters, an optional sign and digits.
    private static bool TrySplit(string str, out bool positive, out string num, out string denom, out string suffix)
    {
        positive = true;
        num = "0";
        denom = "";
        suffix = "";
        int pos = 0;
        int end = str.Length;
        if (str[0] is '-' or '+')
        {
            positive = str[0] == '+';
            pos++;
        }
        while (pos < end && str[pos] == '0')
        {
            pos++;
        }
        if (pos >= end)
        {
            return true;
        }
        int start = pos;
        while (pos < end && char.IsAsciiDigit(str[pos]))
        {
            pos++;
        }
        num = pos > start ? str[start..pos] : "0";
        if (pos >= end)
        {
            return true;
        }
        if (str[pos] == '.')
        {
            pos++;
            start = pos;
            while (pos < end && char.IsAsciiDigit(str[pos]))
            {
                pos++;
            }
            denom = str[start..pos];
            if (pos >= end)
            {
                return true;
            }
        }
        int suffixStart = pos;
        while (pos < end && SuffixChars.Contains(str[pos], StringComparison.Ordinal))
        {
            pos++;
        }
        if (pos < end && str[pos] is '-' or '+')
        {
            pos++;
        }
        while (pos < end && char.IsAsciiDigit(str[pos]))
        {
            pos++;
        }
        suffix = str[suffixStart..];
        return pos >= end;
    }

    private static bool TryInterpretSuffix(string suffix, out int base10, out int base2)
    {
        base10 = 0;
        base2 = 0;
        switch (suffix)
        {
            case "n": base10 = -9; return true;
            case "u": base10 = -6; return true;
            case "m": base10 = -3; return true;
            case "": return true;
            case "k": base10 = 3; return true;
            case "M": base10 = 6; return true;
            case "G": base10 = 9; return true;
            case "T": base10 = 12; return true;
            case "P": base10 = 15; return true;
            case "E": base10 = 18; return true;
            case "Ki": base2 = 10; return true;
            case "Mi": base2 = 20; return true;
            case "Gi": base2 = 30; return true;
            case "Ti": base2 = 40; return true;
            case "Pi": base2 = 50; return true;
            case "Ei": base2 = 60; return true;
        }
        if (suffix.Length > 1 && suffix[0] is 'e' or 'E'
            && long.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long exponent))
        {
            base10 = unchecked((int)exponent); // Kubernetes keeps the exponent as an int32
            return true;
        }
        return false;
    }
}
