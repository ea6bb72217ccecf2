using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Cni.Net.Generators;

/// <summary>
/// Writes <c>ReadCniConfig</c> for each <c>[CniConfig]</c> partial class or record: a reader of a plugin's
/// configuration tree with no serializer metadata to build at run time.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class CniConfigGenerator : IIncrementalGenerator
{
    private const string AttributeName = "Cni.Net.Plugins.CniConfigAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<GeneratorOutput> outputs = context.SyntaxProvider.ForAttributeWithMetadataName(
            AttributeName,
            static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
            static (syntax, cancellationToken) => ConfigReaderEmitter.Emit((INamedTypeSymbol)syntax.TargetSymbol, (TypeDeclarationSyntax)syntax.TargetNode, cancellationToken));
        context.RegisterSourceOutput(outputs, static (production, output) =>
        {
            foreach (DiagnosticData diagnostic in output.Diagnostics)
            {
                production.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
            if (output.Source is not null)
            {
                production.AddSource(output.HintName, output.Source);
            }
        });
    }
}
