using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace Cni.Net.Tests.Packaging;

/// <summary><c>dotnet pack</c> of the library (from the build the tests run against) yields a complete package.</summary>
public sealed class PackageMetadataTests : IDisposable
{
    private readonly string _output = Directory.CreateTempSubdirectory("cni-pack-").FullName;

    public void Dispose() => Directory.Delete(_output, recursive: true);

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
    public void Pack_ProducesPackageAndSymbols_WithReadmeLicenseRepositoryAndXmlDocs()
    {
        string project = Path.Combine(RepositoryRoot(), "src", "Cni.Net", "Cni.Net.csproj");
        var psi = new ProcessStartInfo("dotnet", ["pack", project, "-c", "Release", "--no-build", "-nologo", "-o", _output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (Process p = Process.Start(psi)!)
        {
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "dotnet pack did not finish");
            Assert.True(p.ExitCode == 0, output);
        }

        string nupkg = Assert.Single(Directory.GetFiles(_output, "Cni.Net.*.nupkg"), f => !f.EndsWith(".snupkg", StringComparison.Ordinal));
        string snupkg = Assert.Single(Directory.GetFiles(_output, "Cni.Net.*.snupkg"));

        using (ZipArchive package = ZipFile.OpenRead(nupkg))
        {
            string[] entries = [.. package.Entries.Select(e => e.FullName)];
            Assert.Contains("README.md", entries);
            Assert.Contains("lib/net10.0/Cni.Net.dll", entries);
            Assert.Contains("lib/net10.0/Cni.Net.xml", entries);
            Assert.Contains("icon.png", entries);
            Assert.Contains("LICENSE", entries);
            Assert.Contains("buildTransitive/Cni.Net.props", entries);
            Assert.Contains("buildTransitive/Cni.Net.targets", entries);
            Assert.Contains("buildTransitive/Cni.Net.StaticExecutable.targets", entries);
            // The shim's entry point (CniNetShimEntry): compiled at the consumer's link, so its source ships.
            Assert.Contains("buildTransitive/Cni.Net.ShimEntry.targets", entries);
            Assert.Contains("buildTransitive/cni-net-shim-entry.c", entries);
            Assert.Contains("buildTransitive/cni-net-raw-syscall.h", entries);
            // [CniConfig]'s generator, which a consumer's compiler loads from here.
            Assert.Contains("analyzers/dotnet/cs/Cni.Net.Generators.dll", entries);
            using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
            {
                // The package page's README: install line, and only absolute links (relative ones are dead there).
                string text = readme.ReadToEnd();
                Assert.Contains("dotnet add package Cni.Net", text, StringComparison.Ordinal);
                Assert.DoesNotMatch(@"\]\((?!https?://)", text);
            }

            using Stream nuspecStream = package.GetEntry("Cni.Net.nuspec")!.Open();
            XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
            XElement Element(string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

            Assert.Equal("Cni.Net", Value("id"));
            Assert.Equal("README.md", Value("readme"));
            Assert.StartsWith("0.", Value("version"), StringComparison.Ordinal);
            Assert.Equal("icon.png", Value("icon"));
            Assert.Equal("https://github.com/cni-net/Cni.Net", Value("projectUrl"));
            Assert.Contains("CHANGELOG.md", Value("releaseNotes")!, StringComparison.Ordinal);
            Assert.Equal("expression", (string?)Element("license").Attribute("type"));
            Assert.Equal("Apache-2.0", Value("license"));
            Assert.StartsWith("https://github.com/", (string?)Element("repository").Attribute("url"), StringComparison.Ordinal);
            Assert.Equal("git", (string?)Element("repository").Attribute("type"));
            Assert.False(string.IsNullOrWhiteSpace(Value("description")));
            Assert.Contains("cni", Value("tags")!, StringComparison.Ordinal);

            using var xmlDocs = new StreamReader(package.GetEntry("lib/net10.0/Cni.Net.xml")!.Open());
            Assert.Contains("M:Cni.Net.Spec.CniResult.ConvertTo(Cni.Net.Spec.CniVersion)", xmlDocs.ReadToEnd(), StringComparison.Ordinal);
        }

        using ZipArchive symbols = ZipFile.OpenRead(snupkg);
        Assert.Contains("lib/net10.0/Cni.Net.pdb", symbols.Entries.Select(e => e.FullName));
    }
}
