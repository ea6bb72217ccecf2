using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Cni.Net.Spec;

/// <summary>Serializer options that read keys as Go does (<see cref="CniJsonKeys"/>), for any source-generated context.</summary>
internal static class CniJsonOptions
{
    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> s_goOptions = new();

    /// <summary>
    /// The same contract with case-insensitive keys. The source-generated resolver stays the one that builds the
    /// metadata, so this stays AOT- and trim-safe; the copy of the options is made once per options instance.
    /// </summary>
    public static JsonTypeInfo<T> WithGoKeys<T>(JsonTypeInfo<T> typeInfo)
    {
        JsonSerializerOptions options = typeInfo.Options;
        if (options.PropertyNameCaseInsensitive && options.AllowDuplicateProperties)
        {
            return typeInfo;
        }
        JsonSerializerOptions go = s_goOptions.GetValue(options, static o => new JsonSerializerOptions(o)
        {
            PropertyNameCaseInsensitive = true,
            AllowDuplicateProperties = true,
        });
        return (JsonTypeInfo<T>)go.GetTypeInfo(typeof(T));
    }
}
