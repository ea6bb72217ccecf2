using Cni.Net.Interop;
using System.Buffers;
using System.Text;
using System.Text.Json;
using Cni.Net.Spec;

namespace Cni.Net.Processes;

/// <summary>
/// Turns what a plugin printed into a result, an error or version information. stdout arrives as the pipe's
/// <see cref="ReadOnlySequence{T}"/>; its shape is checked with a <see cref="Utf8JsonReader"/> over the sequence, and
/// only a well-formed object is handed to the Spec parsers (copied to one pooled buffer when it spans segments).
/// </summary>
internal static class PluginOutputParser
{
    private const int SnippetBytes = 256;
    private const int StderrInMessage = 1024;

    private enum Shape
    {
        Empty,
        Object,
        NotJson,
    }

    public static CniResult ReadResult(ChildExit exit, ReadOnlySequence<byte> stdout, string stderr, string pluginType,
        CniVersion configVersion)
    {
        ThrowIfFailed(exit, stdout, stderr, pluginType);
        switch (Inspect(stdout, out string? problem))
        {
            case Shape.Empty:
                throw new CniException(CniErrorCode.DecodingFailure,
                    $"plugin '{pluginType}' succeeded but printed no result", NullIfEmpty(stderr));
            case Shape.NotJson:
                throw new CniException(CniErrorCode.DecodingFailure,
                    $"plugin '{pluginType}' printed an invalid result: {problem}", Describe(stdout, stderr));
        }
        ReadOnlySpan<byte> json = Contiguous(stdout, out byte[]? rented);
        try
        {
            return CniResult.Parse(json, configVersion);
        }
        catch (CniException e)
        {
            throw new CniException(e.Code, $"plugin '{pluginType}' printed an invalid result: {e.Message}",
                Describe(stdout, stderr), e);
        }
        finally
        {
            Return(rented);
        }
    }

    public static bool ReadNothing(ChildExit exit, ReadOnlySequence<byte> stdout, string stderr, string pluginType)
    {
        ThrowIfFailed(exit, stdout, stderr, pluginType);
        return true;
    }

    public static CniPluginVersionInfo ReadVersion(ChildExit exit, ReadOnlySequence<byte> stdout, string stderr, string pluginType)
    {
        if (!exit.Succeeded)
        {
            CniException error = ToFailure(exit, stdout, stderr, pluginType);
            // Plugins from before VERSION existed answer like this; libcni takes them as 0.1.0-only.
            if (error.Message.StartsWith("unknown CNI_COMMAND: VERSION", StringComparison.Ordinal))
            {
                return new CniPluginVersionInfo(CniVersion.V0_1_0, [CniVersion.V0_1_0]);
            }
            throw error;
        }
        if (Inspect(stdout, out string? problem) != Shape.Object)
        {
            throw new CniException(CniErrorCode.DecodingFailure,
                $"plugin '{pluginType}' printed invalid version information: {problem ?? "nothing"}", Describe(stdout, stderr));
        }
        var reader = new Utf8JsonReader(stdout);
        CniVersion? version = null;
        var supported = new List<CniVersion>();
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (CniJsonKeys.Matches(ref reader, "cniVersion"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && CniVersion.TryParse(reader.GetString(), out CniVersion v))
                {
                    version = v;
                }
            }
            else if (CniJsonKeys.Matches(ref reader, "supportedVersions"u8))
            {
                supported.Clear(); // a repeated key replaces the list, as in Go
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw VersionProblem(pluginType, "supportedVersions is not an array", stdout, stderr);
                }
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String || !CniVersion.TryParse(reader.GetString(), out CniVersion s))
                    {
                        throw VersionProblem(pluginType, "supportedVersions holds something that is not a version", stdout, stderr);
                    }
                    supported.Add(s);
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (supported.Count == 0)
        {
            throw VersionProblem(pluginType, "supportedVersions is missing or empty", stdout, stderr);
        }
        return new CniPluginVersionInfo(version ?? supported[^1], supported);
    }

    private static CniException VersionProblem(string pluginType, string what, ReadOnlySequence<byte> stdout, string stderr) =>
        new(CniErrorCode.DecodingFailure, $"plugin '{pluginType}' printed invalid version information: {what}", Describe(stdout, stderr));

    private static void ThrowIfFailed(ChildExit exit, ReadOnlySequence<byte> stdout, string stderr, string pluginType)
    {
        if (!exit.Succeeded)
        {
            throw ToFailure(exit, stdout, stderr, pluginType);
        }
    }

    /// <summary>
    /// The error a failed plugin reported: its error object when it printed one (the Go plugins' code 999 and
    /// missing cniVersion included), else an I/O failure carrying its stderr.
    /// </summary>
    internal static CniException ToFailure(ChildExit exit, ReadOnlySequence<byte> stdout, string stderr, string pluginType)
    {
        if (Inspect(stdout, out _) == Shape.Object)
        {
            ReadOnlySpan<byte> json = Contiguous(stdout, out byte[]? rented);
            try
            {
                CniError error = CniError.Parse(json);
                return new CniException((CniErrorCode)error.Code, error.Msg, error.Details ?? NullIfEmpty(stderr));
            }
            catch (CniException)
            {
                // Not an error object: fall through and report the raw output.
            }
            finally
            {
                Return(rented);
            }
        }
        // As libcni's RawExec.pluginErr ("netplugin failed: \"<stderr>\": exit status 1"), the message itself carries
        // what the plugin wrote on stderr: callers that only log the message still see why it failed.
        string? said = NullIfEmpty(stderr);
        string message = $"plugin '{pluginType}' failed ({exit}) without printing an error object";
        if (said is not null)
        {
            message += ": \"" + (said.Length > StderrInMessage ? said[..StderrInMessage] + "…" : said)
                .Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
                .Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
        }
        return new CniException(CniErrorCode.IOFailure, message, Describe(stdout, stderr));
    }

    private static Shape Inspect(ReadOnlySequence<byte> stdout, out string? problem)
    {
        problem = null;
        if (IsBlank(stdout))
        {
            return Shape.Empty;
        }
        var reader = new Utf8JsonReader(stdout, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read())
            {
                return Shape.Empty;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                problem = $"expected a JSON object, found {reader.TokenType}";
                return Shape.NotJson;
            }
            reader.Skip();
            bool more;
            try
            {
                more = reader.Read();
            }
            catch (JsonException)
            {
                more = true;
            }
            if (more)
            {
                problem = "unexpected data after the JSON object";
                return Shape.NotJson;
            }
            return Shape.Object;
        }
        catch (JsonException e)
        {
            problem = e.Message;
            return Shape.NotJson;
        }
    }

    private static bool IsBlank(ReadOnlySequence<byte> sequence)
    {
        foreach (ReadOnlyMemory<byte> segment in sequence)
        {
            if (!segment.Span.Trim(" \t\r\n"u8).IsEmpty)
            {
                return false;
            }
        }
        return true;
    }

    private static ReadOnlySpan<byte> Contiguous(ReadOnlySequence<byte> sequence, out byte[]? rented)
    {
        if (sequence.IsSingleSegment)
        {
            rented = null;
            return sequence.FirstSpan;
        }
        int length = checked((int)sequence.Length);
        rented = ArrayPool<byte>.Shared.Rent(length);
        sequence.CopyTo(rented);
        return rented.AsSpan(0, length);
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static string? NullIfEmpty(string s) => string.IsNullOrWhiteSpace(s) ? null : s.TrimEnd();

    private static string? Describe(ReadOnlySequence<byte> stdout, string stderr)
    {
        var sb = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(stderr))
        {
            sb.Append("stderr: ").Append(stderr.TrimEnd());
        }
        if (!stdout.IsEmpty)
        {
            if (sb.Length > 0)
            {
                sb.Append("; ");
            }
            ReadOnlySequence<byte> head = stdout.Slice(0, Math.Min(stdout.Length, SnippetBytes));
            sb.Append("stdout: ").Append(Encoding.UTF8.GetString(head.ToArray()));
            if (stdout.Length > SnippetBytes)
            {
                sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"… ({stdout.Length} bytes)");
            }
        }
        return sb.Length == 0 ? null : sb.ToString();
    }
}
