using System.Text.RegularExpressions;

namespace Cni.Net.Tests.Packaging;

/// <summary>The package page's example is the program docs/examples/AttachContainer compiles, character for character.</summary>
public class DocExamplesTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cni.Net.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cni.Net.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void PackageReadmeExample_IsTheCompiledExampleProgram()
    {
        string root = RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, "docs", "nuget", "README.md"));
        Match block = Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "docs/nuget/README.md has no C# block");
        Assert.Equal(File.ReadAllText(Path.Combine(root, "docs", "examples", "AttachContainer", "Program.cs")), block.Groups[1].Value);
        Assert.Contains("docs/examples/AttachContainer/AttachContainer.csproj", File.ReadAllText(Path.Combine(root, "Cni.Net.sln")).Replace('\\', '/'), StringComparison.Ordinal);
        Assert.Contains("docs/examples/PassThroughPlugin/PassThroughPlugin.csproj", File.ReadAllText(Path.Combine(root, "Cni.Net.sln")).Replace('\\', '/'), StringComparison.Ordinal);
    }
}
