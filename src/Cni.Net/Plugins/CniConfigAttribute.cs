namespace Cni.Net.Plugins;

/// <summary>
/// Has Cni.Net's source generator write, at build time, a reader of the marked <c>partial</c> record or class from a
/// plugin's configuration: <c>internal static T ReadCniConfig(JsonObject json)</c>, to give to
/// <see cref="CniPlugin{TConfig}"/>'s constructor. It follows the rules of Go's <c>encoding/json</c> that every
/// reference plugin follows, as <see cref="Spec.PluginConfig.As{T}"/> does, without building the serializer's metadata
/// at run time (which is most of a short-lived plugin process's own work).
/// </summary>
/// <remarks>
/// <para>Members read: public instance properties with a public <c>set</c> or <c>init</c>, not
/// <c>[JsonIgnore]</c>d, under their <c>[JsonPropertyName]</c> or else their camel-cased name (as
/// <c>JsonKnownNamingPolicy.CamelCase</c> spells it); base types' members too. A key missing or <c>null</c> leaves
/// the member's initial value; <c>required</c> or <c>[JsonRequired]</c> members make the key mandatory.</para>
/// <para>Member types: <see cref="string"/>, <see cref="bool"/>, the integer and floating-point types, their
/// nullable forms, <see cref="System.Text.Json.JsonElement"/>, <see cref="System.Text.Json.Nodes.JsonNode"/> (and
/// <c>JsonObject</c>, <c>JsonArray</c>), records or classes with a public parameterless constructor (read by the same
/// rules), lists of these (<c>T[]</c>, <c>List&lt;T&gt;</c>, <c>IReadOnlyList&lt;T&gt;</c>, <c>IList&lt;T&gt;</c>,
/// <c>IEnumerable&lt;T&gt;</c>, …) and maps with string keys (<c>Dictionary&lt;string, T&gt;</c>,
/// <c>IReadOnlyDictionary&lt;string, T&gt;</c>). Any other member type is a build error (CNINET001) naming it.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class CniConfigAttribute : Attribute;
