extern alias generators;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Cni.Net.Tests.Plugins.Sdk;

/// <summary>
/// The <c>[CniConfig]</c> generator run on source of the test's own: what it refuses is a build error naming the member
/// (CNINET001) or the type (CNINET002), and what it accepts compiles without a diagnostic.
/// </summary>
public sealed class CniConfigGeneratorTests
{
    private static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compilation, string[] Sources) Run(string source)
    {
        string[] trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        IEnumerable<MetadataReference> references = trusted.Select(p => MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(Cni.Net.Plugins.CniConfigAttribute).Assembly.Location));
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        CSharpCompilation compilation = CSharpCompilation.Create("Consumer",
            [CSharpSyntaxTree.ParseText(source, parseOptions)],
            references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new generators::Cni.Net.Generators.CniConfigGenerator().AsSourceGenerator()], parseOptions: parseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        string[] generated = [.. driver.GetRunResult().GeneratedTrees.Select(t => t.ToString())];
        return (diagnostics, output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray(), generated);
    }

    [Fact]
    public void SupportedMembers_CompileWithoutDiagnostics()
    {
        var (generator, compilation, sources) = Run("""
            using System.Collections.Generic;
            using System.Text.Json.Serialization;
            using Cni.Net.Plugins;
            namespace Consumer;
            public static partial class Outer
            {
                [CniConfig]
                internal sealed partial record Conf
                {
                    public string? Name { get; init; }
                    public int Mtu { get; init; } = 1500;
                    public uint? Table { get; set; }
                    public List<Inner>? Items { get; init; }
                    public Dictionary<string, int[]>? Map { get; init; }
                    public required string Type { get; init; }
                    [JsonIgnore] public System.Uri? NotRead { get; init; }
                }
            }
            internal sealed class Inner { public double Ratio { get; set; } }
            """);
        Assert.Empty(generator);
        Assert.Empty(compilation);
        string reader = Assert.Single(sources);
        Assert.Contains("internal static global::Consumer.Outer.Conf ReadCniConfig(global::System.Text.Json.Nodes.JsonObject json)", reader, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedMemberType_IsCNINET001NamingTheMember()
    {
        var (generator, _, _) = Run("""
            using Cni.Net.Plugins;
            [CniConfig]
            internal sealed partial class Conf
            {
                public System.Uri? Endpoint { get; init; }
                public System.Collections.Generic.Dictionary<int, string>? ByNumber { get; init; }
                public Abstract? Shape { get; init; }
            }
            internal abstract class Abstract { }
            """);
        Assert.Equal(["CNINET001", "CNINET001", "CNINET001"], generator.Select(d => d.Id));
        Assert.All(generator, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        string[] messages = [.. generator.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Contains(messages, m => m.StartsWith("'Conf.Endpoint' cannot be read", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("'Conf.ByNumber' cannot be read", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'Conf.Shape' cannot be read from a CNI configuration: Abstract is abstract", StringComparison.Ordinal));
        // Each at its member's line: Endpoint, ByNumber, Shape are lines 5–7 of the source.
        Assert.Equal([4, 5, 6], generator.Select(d => d.Location.GetLineSpan().StartLinePosition.Line).Order());
    }

    [Fact]
    public void TypeNotPartial_IsCNINET002()
    {
        var (generator, _, sources) = Run("""
            using Cni.Net.Plugins;
            [CniConfig]
            internal sealed class Conf
            {
                public string? Name { get; init; }
            }
            """);
        Diagnostic d = Assert.Single(generator);
        Assert.Equal(("CNINET002", DiagnosticSeverity.Error), (d.Id, d.Severity));
        Assert.Contains("'Conf' must be partial", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(sources);
    }
}
