using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Fuzz.Targets;

/// <summary>
/// The plugin host's logger for the fuzzer: the host maps every exception to a CNI error and logs at Error only
/// those it did not expect (not a CniException, nor a JSON, argument, format, I/O or cancellation error) — an input
/// that gets there is a crash the error handling hides.
/// </summary>
internal sealed class UnexpectedExceptionLog : ILoggerFactory, ILogger
{
    public Exception? Unexpected { get; set; }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        // The host's own categories (CniPluginHost.ToCniException): these become proper CNI errors by design.
        if (logLevel >= LogLevel.Error && exception is not null and not (JsonException or ArgumentException or FormatException
            or IOException or UnauthorizedAccessException or OperationCanceledException or TimeoutException))
        {
            Unexpected ??= exception;
        }
    }
}
