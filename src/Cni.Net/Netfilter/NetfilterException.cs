namespace Cni.Net.Netfilter;

/// <summary>
/// A packet-filter transaction could not be planned or applied. When iptables-nft-restore refused it, the tool's
/// message and the offending line of the restore input are carried; the transaction then changed nothing.
/// </summary>
public sealed class NetfilterException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public NetfilterException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NetfilterException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="toolMessage">The tool's own error text.</param>
    /// <param name="line">The 1-based line of the tool's input it complained about.</param>
    /// <param name="lineText">That line.</param>
    /// <param name="innerException">The cause.</param>
    public NetfilterException(string message, string? toolMessage, int? line, string? lineText, Exception? innerException = null)
        : base(message, innerException)
    {
        ToolMessage = toolMessage;
        Line = line;
        LineText = lineText;
    }

    /// <summary>Creates the exception.</summary>
    public NetfilterException()
        : base("netfilter operation failed")
    {
    }

    /// <summary>The tool's error text (stderr), when a tool failed.</summary>
    public string? ToolMessage { get; }

    /// <summary>The 1-based line of the restore input the tool reported, when it named one.</summary>
    public int? Line { get; }

    /// <summary>The text of <see cref="Line"/>.</summary>
    public string? LineText { get; }
}
