using System.Text.Json;
using Cni.Net.Spec;

namespace Cni.Net.Spec;

/// <summary>A plugin's answer to VERSION: <c>{"cniVersion":…,"supportedVersions":[…]}</c>.</summary>
public sealed class CniPluginVersionInfo
{
    /// <summary>Creates version information.</summary>
    public CniPluginVersionInfo(CniVersion cniVersion, IReadOnlyList<CniVersion> supportedVersions)
    {
        ArgumentNullException.ThrowIfNull(supportedVersions);
        CniVersion = cniVersion;
        SupportedVersions = supportedVersions;
    }

    /// <summary>The version of the answer's format.</summary>
    public CniVersion CniVersion { get; }

    /// <summary>Every spec version the plugin accepts.</summary>
    public IReadOnlyList<CniVersion> SupportedVersions { get; }

    /// <summary>Whether <paramref name="version"/> is among <see cref="SupportedVersions"/>.</summary>
    public bool Supports(CniVersion version) => SupportedVersions.Contains(version);

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("cniVersion", CniVersion.ToString());
        writer.WriteStartArray("supportedVersions");
        foreach (CniVersion v in SupportedVersions)
        {
            writer.WriteStringValue(v.ToString());
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
