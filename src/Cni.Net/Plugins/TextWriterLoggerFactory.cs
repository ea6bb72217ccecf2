using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins;

/// <summary>
/// A logger factory that writes one line per message to a <see cref="TextWriter"/> (stderr or a log file):
/// <c>2026-12-03T19:40:00.123Z warn Cni.Net.Execution.CniChainExecutor: message</c>, an exception on the lines after.
/// It needs nothing beyond Microsoft.Extensions.Logging.Abstractions, so a NativeAOT plugin or tool gets logging
/// without the start-up cost of the console logging stack. Never point it at stdout in a plugin: stdout belongs to
/// the CNI protocol.
/// </summary>
public sealed class TextWriterLoggerFactory : ILoggerFactory
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly Lock _lock = new();

    /// <summary>Creates a factory writing to <paramref name="writer"/>.</summary>
    /// <param name="writer">Where the lines go, for example <see cref="Console.Error"/>.</param>
    /// <param name="minimumLevel">Messages below this level are dropped (and cost only the level check).</param>
    /// <param name="ownsWriter">Whether <see cref="Dispose"/> disposes <paramref name="writer"/>.</param>
    public TextWriterLoggerFactory(TextWriter writer, LogLevel minimumLevel = LogLevel.Information, bool ownsWriter = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        MinimumLevel = minimumLevel;
        _ownsWriter = ownsWriter;
    }

    /// <summary>The lowest level written.</summary>
    public LogLevel MinimumLevel { get; }

    /// <summary>Opens (appends to) a log file and writes to it; the factory owns the file.</summary>
    /// <param name="path">The file; its directory must exist.</param>
    /// <param name="minimumLevel">Messages below this level are dropped.</param>
    /// <returns>The factory; dispose it to close the file.</returns>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened.</exception>
    public static TextWriterLoggerFactory OpenFile(string path, LogLevel minimumLevel = LogLevel.Information)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        return new TextWriterLoggerFactory(writer, minimumLevel, ownsWriter: true);
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Not supported: this factory is its own single destination.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("TextWriterLoggerFactory writes to one TextWriter and takes no providers");

    /// <summary>Flushes, and disposes the writer when the factory owns it.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Flush();
            if (_ownsWriter)
            {
                _writer.Dispose();
            }
        }
    }

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {LevelName(level)} {category}: {message}");
        lock (_lock)
        {
            _writer.WriteLine(line);
            if (exception is not null)
            {
                _writer.WriteLine(exception.ToString());
            }
            _writer.Flush();
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private sealed class Logger(TextWriterLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= factory.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                factory.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
