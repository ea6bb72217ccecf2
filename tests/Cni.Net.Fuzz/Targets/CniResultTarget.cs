using Cni.Net.Spec;

namespace Cni.Net.Fuzz.Targets;

/// <summary>
/// What a plugin prints: a result (<see cref="CniResult.Parse"/>) converted to every supported version, printed and
/// read back, and an error (<see cref="CniError.Parse"/>). Only <see cref="CniException"/> may come out.
/// </summary>
internal static class CniResultTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        CniResult? result = null;
        try
        {
            result = CniResult.Parse(data);
        }
        catch (CniException)
        {
        }
        if (result is not null)
        {
            foreach (CniVersion version in CniVersion.Supported)
            {
                try
                {
                    byte[] printed = result.ConvertTo(version).ToUtf8Bytes();
                    _ = CniResult.Parse(printed);
                }
                catch (CniException)
                {
                    // 0.1.0/0.2.0 without an address: the conversion refuses, as the spec says.
                }
            }
        }
        try
        {
            _ = CniError.Parse(data);
        }
        catch (CniException)
        {
        }
    }

    public static IReadOnlyList<byte[]> Seeds() => SpecSeeds.All();
}
