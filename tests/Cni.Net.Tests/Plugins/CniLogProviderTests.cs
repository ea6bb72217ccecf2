using System.Text;
using Cni.Net.Plugins;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Tests.Plugins;

/// <summary>The plugins' log provider: the line format, levels, and appending to a file shared by concurrent plugins.</summary>
public sealed partial class CniLogProviderTests : IDisposable
{
    [LoggerMessage(Message = "{Text}")]
    private static partial void Say(ILogger logger, LogLevel level, string text);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Writer} {Line} {Payload} end")]
    private static partial void Numbered(ILogger logger, int writer, int line, string payload);

    private readonly string _dir = Directory.CreateTempSubdirectory("cni-net-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Format(string category, string message, string? exception = null)
    {
        var buffer = new byte[64 + (category.Length + message.Length + (exception?.Length ?? 0)) * 3 + 1];
        int n = CniLogProvider.Format(buffer, new DateTime(2026, 12, 3, 19, 40, 0, 123, DateTimeKind.Utc), LogLevel.Warning, category,
            4711, message, exception);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public void Format_IsTimestampLevelCategoryPidMessage()
    {
        Assert.Equal("2026-12-03T19:40:00.123Z warn bridge[4711]: ADD container=c1 ok\n", Format("bridge", "ADD container=c1 ok"));
        Assert.Equal("2026-12-03T19:40:00.123Z warn b[4711]: é ✓\nSystem.Exception: boom\n", Format("b", "é ✓", "System.Exception: boom"));
    }

    [Fact]
    public void LineBreaksInAMessage_StayOnOneLine()
    {
        string path = Path.Combine(_dir, "one.log");
        using (CniLogProvider logs = CniLogProvider.OpenFile(path))
        {
            ILogger logger = logs.CreateLogger("c");
            Say(logger, LogLevel.Warning, "plugin wrote\nsecond line\r\nthird");
        }
        string text = File.ReadAllText(path);
        Assert.EndsWith(" warn c[" + Environment.ProcessId + "]: plugin wrote\\nsecond line\\nthird\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void BelowTheMinimumLevel_NothingIsWritten()
    {
        string path = Path.Combine(_dir, "levels.log");
        using (CniLogProvider logs = CniLogProvider.OpenFile(path, LogLevel.Warning))
        {
            ILogger logger = logs.CreateLogger("c");
            Assert.False(logger.IsEnabled(LogLevel.Information));
            Assert.True(logger.IsEnabled(LogLevel.Warning));
            Say(logger, LogLevel.Information, "dropped");
            Say(logger, LogLevel.Error, "kept");
        }
        string line = Assert.Single(File.ReadAllLines(path));
        Assert.EndsWith(" fail c[" + Environment.ProcessId + "]: kept", line, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenFile_AppendsToWhatIsThere_AndCreatesWithMode0640()
    {
        string path = Path.Combine(_dir, "append.log");
        File.WriteAllText(path, "earlier line\n");
        using (CniLogProvider logs = CniLogProvider.OpenFile(path))
        {
            ILogger logger = logs.CreateLogger("c");
            Say(logger, LogLevel.Information, "new line");
        }
        string[] lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        Assert.Equal("earlier line", lines[0]);

        string created = Path.Combine(_dir, "created.log");
        using (CniLogProvider.OpenFile(created))
        {
        }
        // 0640 as created, less what the umask takes away: never readable by others.
        UnixFileMode mode = File.GetUnixFileMode(created);
        const UnixFileMode Allowed = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        Assert.Equal(UnixFileMode.None, mode & ~Allowed);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode & (UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => CniLogProvider.OpenFile("")).ParamName);
        IOException missing = Assert.Throws<IOException>(() => CniLogProvider.OpenFile(Path.Combine(_dir, "no", "such.log")));
        Assert.Contains("no/such.log", missing.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Plugins each open the file themselves and write at the same time. Without O_APPEND every descriptor keeps its
    /// own offset and the writers overwrite each other; with it, and one write per line, every line arrives whole.
    /// </summary>
    [Fact]
    public void ManyWritersOnOneFile_NoLineIsLostOrTorn()
    {
        string path = Path.Combine(_dir, "shared.log");
        const int Writers = 8;
        const int Lines = 300;
        string payload = new('x', 2000);
        Parallel.For(0, Writers, new ParallelOptions { MaxDegreeOfParallelism = Writers }, w =>
        {
            using CniLogProvider logs = CniLogProvider.OpenFile(path);
            ILogger logger = logs.CreateLogger("writer" + w);
            for (int i = 0; i < Lines; i++)
            {
                Numbered(logger, w, i, payload);
            }
        });
        string[] lines = File.ReadAllLines(path);
        Assert.Equal(Writers * Lines, lines.Length);
        var seen = new HashSet<(int, int)>();
        foreach (string line in lines)
        {
            string[] parts = line.Split(' ');
            Assert.Equal(7, parts.Length);
            Assert.Equal(payload, parts[5]);
            Assert.Equal("end", parts[6]);
            Assert.True(seen.Add((int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(parts[4], System.Globalization.CultureInfo.InvariantCulture))));
        }
    }

    [Fact]
    public void AfterDispose_LinesAreDroppedNotThrown()
    {
        string path = Path.Combine(_dir, "closed.log");
        CniLogProvider logs = CniLogProvider.OpenFile(path);
        ILogger logger = logs.CreateLogger("c");
        logs.Dispose();
        Say(logger, LogLevel.Warning, "after");
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Theory]
    [InlineData("trace", LogLevel.Trace, true)]
    [InlineData("Verbose", LogLevel.Trace, true)]
    [InlineData("DEBUG", LogLevel.Debug, true)]
    [InlineData("info", LogLevel.Information, true)]
    [InlineData(" information ", LogLevel.Information, true)]
    [InlineData("warn", LogLevel.Warning, true)]
    [InlineData("warning", LogLevel.Warning, true)]
    [InlineData("error", LogLevel.Error, true)]
    [InlineData("panic", LogLevel.Critical, true)]
    [InlineData("none", LogLevel.None, true)]
    [InlineData("loud", LogLevel.Information, false)]
    [InlineData(null, LogLevel.Information, false)]
    public void TryParseLevel(string? text, LogLevel expected, bool known)
    {
        Assert.Equal(known, CniLogProvider.TryParseLevel(text, out LogLevel level));
        Assert.Equal(expected, level);
    }
}
