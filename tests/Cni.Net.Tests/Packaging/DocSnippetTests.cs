using System.Text;
using System.Text.RegularExpressions;

namespace Cni.Net.Tests.Packaging;

/// <summary>
/// Every C# block in docs/*.md, docs/nuget/README.md and README.md is code the solution compiles: the line before
/// its fence is <c>&lt;!-- example: docs/examples/X/File.cs#region --&gt;</c> and the block equals that region (or
/// the whole file without <c>#region</c>) character for character, or it is marked
/// <c>&lt;!-- fragment: why it cannot be a program --&gt;</c>.
/// </summary>
public sealed partial class DocSnippetTests
{
    [GeneratedRegex(@"^<!-- example: (?<path>docs/examples/[^#\s]+\.cs)(#(?<region>[\w-]+))? -->$")]
    private static partial Regex ExampleMarker();

    [GeneratedRegex(@"^<!-- fragment: (?<reason>\S.*\S) -->$")]
    private static partial Regex FragmentMarker();

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

    internal sealed record Snippet(string File, int Line, string Marker, string Code);

    /// <summary>The C# fenced blocks of a Markdown text, each with the line before its fence.</summary>
    internal static IEnumerable<Snippet> CSharpBlocks(string file, string markdown)
    {
        string[] lines = markdown.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string fence = lines[i].Trim();
            if (!fence.StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }
            string language = fence[3..].Trim().ToLowerInvariant();
            int start = i;
            var code = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
            {
                code.Append(lines[i]).Append('\n');
            }
            if (language is "csharp" or "cs" or "c#")
            {
                int before = start - 1;
                while (before >= 0 && lines[before].Trim().Length == 0)
                {
                    before--;
                }
                yield return new Snippet(file, start + 1, before >= 0 ? lines[before].Trim() : "", code.ToString());
            }
        }
    }

    /// <summary>The lines between <c>#region name</c> and its <c>#endregion</c>, less their common indentation.</summary>
    internal static string? Region(string source, string name)
    {
        string[] lines = source.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int open = Array.FindIndex(lines, l => l.Trim() == "#region " + name);
        if (open < 0)
        {
            return null;
        }
        var body = new List<string>();
        int depth = 0;
        for (int i = open + 1; i < lines.Length; i++)
        {
            string t = lines[i].Trim();
            if (t.StartsWith("#region", StringComparison.Ordinal))
            {
                depth++;
                continue;
            }
            if (t.StartsWith("#endregion", StringComparison.Ordinal))
            {
                if (depth-- == 0)
                {
                    int indent = body.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
                    return string.Concat(body.Select(l => (l.Length >= indent ? l[indent..] : l.TrimStart()) + "\n"));
                }
                continue;
            }
            body.Add(lines[i]);
        }
        return null;
    }

    private static string? Problem(string root, Snippet s)
    {
        Match fragment = FragmentMarker().Match(s.Marker);
        if (fragment.Success)
        {
            return null;
        }
        Match example = ExampleMarker().Match(s.Marker);
        if (!example.Success)
        {
            return "neither an example marker nor a fragment marker before the block";
        }
        string path = Path.Combine(root, example.Groups["path"].Value);
        if (!File.Exists(path))
        {
            return $"{example.Groups["path"].Value} does not exist";
        }
        string source = File.ReadAllText(path);
        string? expected = example.Groups["region"].Success ? Region(source, example.Groups["region"].Value) : source;
        if (expected is null)
        {
            return $"no region {example.Groups["region"].Value} in {example.Groups["path"].Value}";
        }
        if (expected != s.Code)
        {
            return $"differs from {example.Groups["path"].Value}#{example.Groups["region"].Value}:\n--- doc\n{s.Code}--- example\n{expected}";
        }
        string project = Path.GetRelativePath(root, Path.GetDirectoryName(path)!);
        string? csproj = Directory.EnumerateFiles(Path.GetDirectoryName(path)!, "*.csproj").FirstOrDefault();
        if (csproj is null || !File.ReadAllText(Path.Combine(root, "Cni.Net.sln")).Replace('\\', '/').Contains(
            Path.GetRelativePath(root, csproj).Replace('\\', '/'), StringComparison.Ordinal))
        {
            return $"{project} is not a project in Cni.Net.sln, so nothing compiles it";
        }
        return null;
    }

    [Fact]
    public void EveryCSharpBlock_IsACompiledExampleOrAMarkedFragment()
    {
        string root = RepositoryRoot();
        IEnumerable<string> files = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md")
            .Append(Path.Combine(root, "docs", "nuget", "README.md"))
            .Append(Path.Combine(root, "README.md"));
        var snippets = files.SelectMany(f => CSharpBlocks(Path.GetRelativePath(root, f), File.ReadAllText(f))).ToList();
        Assert.True(snippets.Count >= 20, $"only {snippets.Count} C# blocks found: the scan is broken");
        var problems = snippets.Select(s => (s, Problem(root, s))).Where(p => p.Item2 is not null)
            .Select(p => $"{p.s.File}:{p.s.Line}: {p.Item2}").ToList();
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    [GeneratedRegex(@"^\s*(?:(?:public|internal|private)\s+)?static\s+[^=;]*?\b(?<name>\w+)\(")]
    private static partial Regex StaticMethod();

    [GeneratedRegex(@"^\s*//.*$", RegexOptions.Multiline)]
    private static partial Regex CommentLine();

    [GeneratedRegex(@"\b(?:class|record|struct)\s+(?<name>\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\bstatic\s+(?:partial\s+)?class\s+(?<name>\w+)")]
    private static partial Regex StaticClass();

    /// <summary>
    /// What a test must name to run an example: <c>ExampleDll("Project")</c> for a whole program, else
    /// <c>Class.Method</c> of the static method the region sits in (called in-process, or passed to the examples
    /// project's program as <c>nameof(Class.Method)</c>); null for a region outside any method (type declarations).
    /// </summary>
    internal static string? Entry(string path, string source, string? region)
    {
        if (region is null)
        {
            return $"ExampleDll(\"{Path.GetFileName(Path.GetDirectoryName(path))}\")";
        }
        string[] lines = source.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int open = Array.FindIndex(lines, l => l.Trim() == "#region " + region);
        string? method = null;
        for (int i = open - 1; i >= 0; i--)
        {
            Match m = StaticMethod().Match(lines[i]);
            if (m.Success && !lines[i].Contains(" class ", StringComparison.Ordinal))
            {
                // The nearest method above encloses the region only when its braces are still open there.
                int depth = lines[i..open].Sum(l => l.Count(c => c == '{') - l.Count(c => c == '}'));
                method = depth > 0 ? m.Groups["name"].Value : null;
                break;
            }
        }
        Match type = lines.Take(open).Select(l => StaticClass().Match(l)).LastOrDefault(m => m.Success) ?? Match.Empty;
        return method is null || !type.Success ? null : type.Groups["name"].Value + "." + method;
    }

    /// <summary>
    /// Every example a guide shows runs in a test: the test sources (both suites) name its entry (see
    /// <see cref="Entry"/>). A region that only declares types counts as run when a region that runs uses one of them.
    /// </summary>
    [Fact]
    public void EveryExample_RunsInSomeTest()
    {
        string root = RepositoryRoot();
        string tests = string.Concat(Directory.EnumerateFiles(Path.Combine(root, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(f) != nameof(DocSnippetTests) + ".cs")
            .Select(f => CommentLine().Replace(File.ReadAllText(f), "")));
        IEnumerable<string> files = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md")
            .Append(Path.Combine(root, "docs", "nuget", "README.md"))
            .Append(Path.Combine(root, "README.md"));
        var examples = files.SelectMany(f => CSharpBlocks(Path.GetRelativePath(root, f), File.ReadAllText(f)))
            .Select(s => (Snippet: s, Match: ExampleMarker().Match(s.Marker)))
            .Where(e => e.Match.Success)
            .Select(e =>
            {
                string path = e.Match.Groups["path"].Value;
                string? region = e.Match.Groups["region"].Success ? e.Match.Groups["region"].Value : null;
                string entry = Entry(path, File.ReadAllText(Path.Combine(root, path)), region) ?? "";
                return (e.Snippet, Path: path, Entry: entry, Runs: entry.Length > 0 && tests.Contains(entry, StringComparison.Ordinal));
            })
            .ToList();
        Assert.True(examples.Count >= 20, $"only {examples.Count} examples found: the scan is broken");
        var notRun = examples.Where(e => !e.Runs && !(e.Entry.Length == 0 && examples.Any(r => r.Runs
                && Path.GetDirectoryName(r.Path) == Path.GetDirectoryName(e.Path)
                && TypeDeclaration().Matches(e.Snippet.Code).Any(t => r.Snippet.Code.Contains(t.Groups["name"].Value, StringComparison.Ordinal)))))
            .Select(e => $"{e.Snippet.File}:{e.Snippet.Line}: {e.Snippet.Marker} runs in no test" + (e.Entry.Length > 0 ? $" (none names {e.Entry})" : ""))
            .ToList();
        Assert.True(notRun.Count == 0, string.Join("\n", notRun));
    }

    [Fact]
    public void TheScanner_FindsBlocksMarkersAndRegions()
    {
        string md = "text\n<!-- example: docs/examples/A/B.cs#r -->\n\n```csharp\nint x = 1;\n```\n```sh\nls\n```\n```cs\ny();\n```\n";
        var blocks = CSharpBlocks("x.md", md).ToList();
        Assert.Equal(2, blocks.Count);
        Assert.Equal(("<!-- example: docs/examples/A/B.cs#r -->", "int x = 1;\n", 4), (blocks[0].Marker, blocks[0].Code, blocks[0].Line));
        Assert.Equal(("```", "y();\n"), (blocks[1].Marker, blocks[1].Code));
        Assert.Equal("a();\n{\n    b();\n}\n", Region("class C {\n    #region r\n    a();\n    {\n        b();\n    }\n    #endregion\n}\n", "r"));
        Assert.Null(Region("#region other\n#endregion\n", "r"));
        Assert.Matches(ExampleMarker(), "<!-- example: docs/examples/X/Program.cs -->");
        Assert.DoesNotMatch(FragmentMarker(), "<!-- fragment: -->");
        const string Source = "public static class G\n{\n    public static Task<(int A, int B)> RunAsync(int x)\n    {\n        #region r\n        a();\n        #endregion\n    }\n}\n#region t\nclass T;\n#endregion\n";
        Assert.Equal("G.RunAsync", Entry("docs/examples/P/G.cs", Source, "r"));
        Assert.Equal("ExampleDll(\"P\")", Entry("docs/examples/P/Program.cs", Source, null));
        Assert.Null(Entry("docs/examples/P/G.cs", Source, "t"));
    }
}
