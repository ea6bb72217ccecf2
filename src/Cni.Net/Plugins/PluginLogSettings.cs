using System.Text.Json;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins;

/// <summary>
/// Where a plugin process logs, as the node operator chose it: <c>CNI_LOG_FILE</c> and <c>CNI_LOG_LEVEL</c> in the
/// environment (the runtime passes its own environment on to plugins, so one setting covers every network), else the
/// <c>logFile</c> and <c>logLevel</c> keys of the plugin's network config (the names Multus uses). A destination
/// of <c>stderr</c> means stderr; anything else is a file path. Nothing set: no logging, and nothing is created.
/// </summary>
internal static class PluginLogSettings
{
    public const string FileVariable = "CNI_LOG_FILE";
    public const string LevelVariable = "CNI_LOG_LEVEL";

    /// <summary>The operator's choice, or false when logging is off (the common case: two lookups and a scan of stdin's top level).</summary>
    public static bool TryRead(IReadOnlyDictionary<string, string> environment, ReadOnlySpan<byte> stdin,
        out string destination, out LogLevel level)
    {
        string? file = environment.GetValueOrDefault(FileVariable);
        string? levelName = environment.GetValueOrDefault(LevelVariable);
        if (string.IsNullOrEmpty(file))
        {
            PeekConfig(stdin, out file, out string? configLevel);
            levelName = string.IsNullOrEmpty(levelName) ? configLevel : levelName;
        }
        destination = file ?? string.Empty;
        _ = CniLogProvider.TryParseLevel(levelName, out level); // an unknown name means the default, information
        return destination.Length > 0 && level != LogLevel.None;
    }

    /// <summary>
    /// The provider for this invocation, or null when logging is off, or when the file cannot be opened (said once
    /// on stderr: a log file must never cost the plugin its answer). A VERSION call logs only at debug level, so
    /// at the default level it opens nothing.
    /// </summary>
    public static CniLogProvider? Open(IReadOnlyDictionary<string, string> environment, ReadOnlySpan<byte> stdin)
    {
        if (!TryRead(environment, stdin, out string destination, out LogLevel level))
        {
            return null;
        }
        if (level > LogLevel.Debug && string.Equals(environment.GetValueOrDefault("CNI_COMMAND"), "VERSION", StringComparison.Ordinal))
        {
            return null;
        }
        if (string.Equals(destination, "stderr", StringComparison.OrdinalIgnoreCase))
        {
            return CniLogProvider.Stderr(level);
        }
        try
        {
            return CniLogProvider.OpenFile(destination, level);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"CNI plugin host: logging is off: {e.Message}");
            return null;
        }
    }

    /// <summary>The top-level <c>logFile</c> and <c>logLevel</c> strings of the config (Go's key matching).</summary>
    internal static void PeekConfig(ReadOnlySpan<byte> stdin, out string? file, out string? level)
    {
        file = null;
        level = null;
        if (stdin.Trim(" \t\r\n"u8).IsEmpty)
        {
            return;
        }
        try
        {
            var reader = new Utf8JsonReader(stdin);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isFile = CniJsonKeys.Matches(ref reader, "logFile"u8);
                bool isLevel = !isFile && CniJsonKeys.Matches(ref reader, "logLevel"u8);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && (isFile || isLevel))
                {
                    // The last of repeated keys wins, as in Go.
                    if (isFile)
                    {
                        file = reader.GetString();
                    }
                    else
                    {
                        level = reader.GetString();
                    }
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // The host reports a broken config; logging just stays off.
        }
        catch (InvalidOperationException)
        {
            // A string that cannot be transcoded: the same.
        }
    }
}
