using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cni.Net.Tests.Spec;

/// <summary>Access to tests/Cni.Net.Tests/TestData and JSON comparison helpers.</summary>
internal static class SpecTestData
{
    public static byte[] Read(string relativePath) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", relativePath));

    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>Compact JSON with the original key order (to compare exact shape, order included).</summary>
    public static string Compact(ReadOnlySpan<byte> json) => JsonNode.Parse(json)!.ToJsonString();

    public static string Compact(string json) => JsonNode.Parse(json)!.ToJsonString();

    /// <summary>Asserts semantic equality (key order ignored), showing both documents on failure.</summary>
    public static void AssertJsonEquivalent(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        JsonNode? e = JsonNode.Parse(expected);
        JsonNode? a = JsonNode.Parse(actual);
        Assert.True(JsonNode.DeepEquals(e, a),
            $"JSON differs.\nexpected: {e?.ToJsonString()}\nactual:   {a?.ToJsonString()}");
    }

    public static void AssertJsonEquivalent(string expected, ReadOnlySpan<byte> actual) =>
        AssertJsonEquivalent(Utf8(expected), actual);

    public static JsonElement Element(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return JsonElement.ParseValue(ref reader);
    }
}
