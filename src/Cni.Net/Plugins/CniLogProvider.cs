using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Cni.Net.Plugins;

/// <summary>
/// A logger provider for CNI plugins: one line per message, written to a log file or to stderr (never stdout, which
/// belongs to the CNI protocol) with a single <c>write(2)</c>, so the lines of plugins running concurrently never
/// interleave:
/// <c>2026-12-03T19:40:00.123Z info bridge[4711]: ADD container=c1 ifname=eth0 network=pods ok ips=10.22.0.5/16 in 3.10 ms</c>.
/// A file is opened with <c>O_APPEND</c> (every write lands at the end of the file whoever else appends) and created
/// with mode 0640. Line breaks inside a message are written as <c>\n</c>; an exception follows on the next lines, in
/// the same write. The provider depends on nothing beyond Microsoft.Extensions.Logging.Abstractions and opens nothing
/// until it is created: a plugin that does not log pays nothing. Writing never throws: a full disk loses lines, not
/// the plugin's answer.
/// </summary>
public sealed unsafe class CniLogProvider : ILoggerProvider
{
    private const int StderrFd = 2;
    private const int FileMode = 0x1A0; // 0640
    private const int StackLimit = 1024;

    private int _fd;
    private readonly bool _ownsFd;
    private readonly int _processId = Environment.ProcessId;

    private CniLogProvider(int fd, bool ownsFd, string destination, LogLevel minimumLevel)
    {
        _fd = fd;
        _ownsFd = ownsFd;
        Destination = destination;
        MinimumLevel = minimumLevel;
    }

    /// <summary>The log file's path, or <c>stderr</c>.</summary>
    public string Destination { get; }

    /// <summary>The lowest level written; anything below costs only the level check.</summary>
    public LogLevel MinimumLevel { get; }

    /// <summary>A provider writing to the process's stderr (file descriptor 2).</summary>
    /// <param name="minimumLevel">Messages below this level are dropped.</param>
    /// <returns>The provider; disposing it leaves stderr open.</returns>
    public static CniLogProvider Stderr(LogLevel minimumLevel = LogLevel.Information) =>
        new(StderrFd, ownsFd: false, "stderr", minimumLevel);

    /// <summary>Opens <paramref name="path"/> for appending (creating it with mode 0640 if needed).</summary>
    /// <param name="path">The log file; its directory must exist.</param>
    /// <param name="minimumLevel">Messages below this level are dropped.</param>
    /// <returns>The provider; dispose it to close the file.</returns>
    /// <exception cref="IOException">The file cannot be opened (the message names it and the reason).</exception>
    public static CniLogProvider OpenFile(string path, LogLevel minimumLevel = LogLevel.Information)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int length = Encoding.UTF8.GetByteCount(path);
        Span<byte> utf8 = length < 512 ? stackalloc byte[length + 1] : new byte[length + 1];
        Encoding.UTF8.GetBytes(path, utf8);
        utf8[length] = 0;
        int fd;
        fixed (byte* p = utf8)
        {
            do
            {
                fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, (mode_t)FileMode);
            }
            while (fd < 0 && errno == EINTR);
        }
        if (fd < 0)
        {
            int error = errno;
            throw new IOException($"cannot open log file {path}: {Marshal.GetPInvokeErrorMessage(error)}", error);
        }
        return new CniLogProvider(fd, ownsFd: true, path, minimumLevel);
    }

    /// <summary>
    /// Reads a level name as <c>CNI_LOG_LEVEL</c> and the <c>logLevel</c> key give it, in any case: <c>trace</c>,
    /// <c>debug</c>, <c>info</c>/<c>information</c>, <c>warn</c>/<c>warning</c>, <c>error</c>, <c>critical</c>,
    /// <c>none</c>; Multus's <c>verbose</c> and <c>panic</c> mean trace and critical.
    /// </summary>
    /// <param name="text">The name.</param>
    /// <param name="level">The level, when the name is known.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParseLevel(string? text, out LogLevel level)
    {
        level = (text ?? string.Empty).Trim().ToLowerInvariant() switch
        {
            "trace" or "verbose" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" or "information" => LogLevel.Information,
            "warn" or "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" or "panic" => LogLevel.Critical,
            "none" or "off" => LogLevel.None,
            _ => (LogLevel)(-1),
        };
        if ((int)level < 0)
        {
            level = LogLevel.Information;
            return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName)
    {
        ArgumentNullException.ThrowIfNull(categoryName);
        return new Logger(this, categoryName);
    }

    /// <summary>Closes the log file (stderr stays open). Lines logged afterwards are dropped.</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0 && _ownsFd)
        {
            _ = close(fd);
        }
    }

    /// <summary>Formats one record into a single buffer and writes it with one call.</summary>
    internal void Write(LogLevel level, string category, string message, Exception? exception)
    {
        int fd = Volatile.Read(ref _fd);
        if (fd < 0)
        {
            return;
        }
        // One record is one line: a message with line breaks (a plugin's quoted stderr) would otherwise break
        // line-oriented readers (grep, tail, log shippers).
        message = message.ReplaceLineEndings("\\n");
        string? detail = exception?.ToString();
        int capacity = 64 + category.Length * 3 + message.Length * 3 + (detail is null ? 0 : detail.Length * 3 + 1);
        byte[]? rented = null;
        Span<byte> buffer = capacity <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(capacity));
        try
        {
            int n = Format(buffer, DateTime.UtcNow, level, category, _processId, message, detail);
            WriteAll(fd, buffer[..n]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// <c>2026-12-03T19:40:00.123Z info category[pid]: message</c> and a line break, then the exception text if
    /// any; <paramref name="buffer"/> must hold 64 bytes plus three per character of the strings.
    /// </summary>
    internal static int Format(Span<byte> buffer, DateTime utcNow, LogLevel level, string category, int processId, string message,
        string? exception)
    {
        utcNow.TryFormat(buffer, out int n, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        buffer[n++] = (byte)' ';
        LevelName(level).CopyTo(buffer[n..]);
        n += 4;
        buffer[n++] = (byte)' ';
        n += Encoding.UTF8.GetBytes(category, buffer[n..]);
        buffer[n++] = (byte)'[';
        processId.TryFormat(buffer[n..], out int digits, default, CultureInfo.InvariantCulture);
        n += digits;
        "]: "u8.CopyTo(buffer[n..]);
        n += 3;
        n += Encoding.UTF8.GetBytes(message, buffer[n..]);
        buffer[n++] = (byte)'\n';
        if (exception is not null)
        {
            n += Encoding.UTF8.GetBytes(exception, buffer[n..]);
            buffer[n++] = (byte)'\n';
        }
        return n;
    }

    private static ReadOnlySpan<byte> LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce"u8,
        LogLevel.Debug => "dbug"u8,
        LogLevel.Information => "info"u8,
        LogLevel.Warning => "warn"u8,
        LogLevel.Error => "fail"u8,
        LogLevel.Critical => "crit"u8,
        _ => "none"u8,
    };

    private static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                ssize_t written = write(fd, start + done, data.Length - done);
                if ((long)written < 0)
                {
                    if (errno == EINTR)
                    {
                        continue;
                    }
                    // A log line is not worth failing the plugin for (ENOSPC, EBADF after a close).
                    return;
                }
                done += (int)written;
            }
        }
    }

    private sealed class Logger(CniLogProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                ArgumentNullException.ThrowIfNull(formatter);
                provider.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
