namespace Cni.Net.Fuzz;

/// <summary>The unit tests' golden vectors, linked into this project's output (see Cni.Net.Fuzz.csproj).</summary>
internal static class TestData
{
    public static string PathOf(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    /// <summary>The files of a TestData folder in ordinal order (a stable corpus).</summary>
    public static IEnumerable<string> Files(string folder, string pattern = "*") =>
        Directory.GetFiles(PathOf(folder), pattern).Order(StringComparer.Ordinal);
}
