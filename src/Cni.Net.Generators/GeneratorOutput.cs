using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Cni.Net.Generators;

/// <summary>What one <c>[CniConfig]</c> type produces; equatable, so an unchanged type is not emitted again.</summary>
internal sealed class GeneratorOutput(string hintName, string? source, IReadOnlyList<DiagnosticData> diagnostics) : IEquatable<GeneratorOutput>
{
    public string HintName { get; } = hintName;

    /// <summary>The generated file, or null when an error leaves nothing worth compiling.</summary>
    public string? Source { get; } = source;

    public IReadOnlyList<DiagnosticData> Diagnostics { get; } = diagnostics;

    public bool Equals(GeneratorOutput? other) =>
        other is not null && HintName == other.HintName && Source == other.Source && Diagnostics.SequenceEqual(other.Diagnostics);

    public override bool Equals(object? obj) => Equals(obj as GeneratorOutput);

    public override int GetHashCode() => HintName.GetHashCode() ^ (Source?.Length ?? 0) ^ Diagnostics.Count;
}

/// <summary>A diagnostic without symbols or trees (those would keep a whole compilation alive between runs).</summary>
internal sealed record DiagnosticData(DiagnosticDescriptor Descriptor, string? FilePath, TextSpan Span, LinePositionSpan Lines, string Argument0, string Argument1)
{
    public static DiagnosticData Create(DiagnosticDescriptor descriptor, Location? location, string argument0, string argument1)
    {
        FileLinePositionSpan lines = location?.GetLineSpan() ?? default;
        return new DiagnosticData(descriptor, location?.SourceTree?.FilePath, location?.SourceSpan ?? default, lines.Span, argument0, argument1);
    }

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, FilePath is null ? Location.None : Location.Create(FilePath, Span, Lines), Argument0, Argument1);
}

internal static class Diagnostics
{
    public static readonly DiagnosticDescriptor UnsupportedMember = new(
        "CNINET001",
        "Member type not readable from a CNI configuration",
        "'{0}' cannot be read from a CNI configuration: {1}; give it a supported type or [JsonIgnore] it",
        "Cni.Net",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = new(
        "CNINET002",
        "A [CniConfig] type must be partial",
        "'{0}' must be {1} for [CniConfig] to add its reader",
        "Cni.Net",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);
}
