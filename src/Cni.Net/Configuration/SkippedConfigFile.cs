using Cni.Net.Spec;

namespace Cni.Net.Configuration;

/// <summary>A file of a conf dir that was not used, and why.</summary>
public sealed class SkippedConfigFile
{
    internal SkippedConfigFile(string path, string reason, CniErrorCode? code, long? line, long? bytePositionInLine)
    {
        Path = path;
        Reason = reason;
        Code = code;
        Line = line;
        BytePositionInLine = bytePositionInLine;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>Why it was skipped; field errors name the field (for example <c>plugins[1].type: required field is missing</c>).</summary>
    public string Reason { get; }

    /// <summary>The CNI error code of the failure, when it was a parse or validation failure.</summary>
    public CniErrorCode? Code { get; }

    /// <summary>The 1-based line of a JSON syntax error, if that was the reason.</summary>
    public long? Line { get; }

    /// <summary>The 1-based byte in <see cref="Line"/> of a JSON syntax error.</summary>
    public long? BytePositionInLine { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        Line is null ? $"{Path}: {Reason}" : $"{Path}:{Line}:{BytePositionInLine}: {Reason}";
}
