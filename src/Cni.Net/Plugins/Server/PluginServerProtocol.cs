using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;

namespace Cni.Net.Plugins.Server;

/// <summary>
/// The plugin server's wire format over its unix stream socket: one request and one response per connection.
/// Request: "CNQ1", the plugin type, the environment as KEY=VALUE entries, stdin. Response: "CNR1", the exit code,
/// stdout. Strings and byte blocks are a little-endian u32 length followed by the bytes.
/// </summary>
internal static class PluginServerProtocol
{
    public const int MaxBlock = 16 * 1024 * 1024;
    public const int MaxEntries = 4096;
    private static ReadOnlySpan<byte> RequestMagic => "CNQ1"u8;
    private static ReadOnlySpan<byte> ResponseMagic => "CNR1"u8;

    public readonly record struct Request(string Type, Dictionary<string, string> Environment, byte[] Stdin);

    public static byte[] EncodeRequest(string type, IReadOnlyDictionary<string, string> environment, ReadOnlySpan<byte> stdin)
    {
        using var stream = new MemoryStream(1024 + stdin.Length);
        stream.Write(RequestMagic);
        WriteBlock(stream, Encoding.UTF8.GetBytes(type));
        WriteU32(stream, (uint)environment.Count);
        foreach (var (key, value) in environment)
        {
            WriteBlock(stream, Encoding.UTF8.GetBytes($"{key}={value}"));
        }
        WriteBlock(stream, stdin);
        return stream.ToArray();
    }

    public static byte[] EncodeResponse(int exitCode, ReadOnlySpan<byte> stdout)
    {
        using var stream = new MemoryStream(16 + stdout.Length);
        stream.Write(ResponseMagic);
        WriteU32(stream, (uint)exitCode);
        WriteBlock(stream, stdout);
        return stream.ToArray();
    }

    /// <summary>
    /// Reads one request. The shim sends it in one piece, so it usually arrives in one read and is parsed from the
    /// pipe's buffer, not read field by field (a receive per length prefix: some 90 for a runtime's environment).
    /// </summary>
    /// <exception cref="InvalidDataException">Not a request, or one too large.</exception>
    /// <exception cref="EndOfStreamException">The shim closed the connection before the request was complete.</exception>
    public static async ValueTask<Request> ReadRequestAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (TryParseRequest(buffer, out Request request, out SequencePosition end))
            {
                reader.AdvanceTo(end);
                return request;
            }
            if (read.IsCompleted)
            {
                throw new EndOfStreamException($"the connection ended {buffer.Length} bytes into a request");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Parses a whole request from <paramref name="buffer"/>: false while it is incomplete; throws as soon as what is
    /// there cannot start a valid one.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a request, or one too large.</exception>
    internal static bool TryParseRequest(ReadOnlySequence<byte> buffer, out Request request, out SequencePosition end)
    {
        request = default;
        end = buffer.Start;
        // Walked once for completeness, lengths only, then decoded once: a request that arrives in many reads is not
        // decoded again at every read.
        var reader = new SequenceReader<byte>(buffer);
        if (!TryReadHead(ref reader, out ReadOnlySequence<byte> type, out uint count))
        {
            return false;
        }
        for (uint i = 0; i <= count; i++)
        {
            if (!TryReadBlock(ref reader, out _))
            {
                return false;
            }
        }
        end = reader.Position;

        reader = new SequenceReader<byte>(buffer.Slice(0, end));
        _ = TryReadHead(ref reader, out _, out _);
        var environment = new Dictionary<string, string>((int)count, StringComparer.Ordinal);
        for (uint i = 0; i < count; i++)
        {
            _ = TryReadBlock(ref reader, out ReadOnlySequence<byte> entry);
            string text = Encoding.UTF8.GetString(entry);
            int eq = text.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                environment[text[..eq]] = text[(eq + 1)..];
            }
        }
        _ = TryReadBlock(ref reader, out ReadOnlySequence<byte> stdin);
        request = new Request(Encoding.UTF8.GetString(type), environment, stdin.ToArray());
        return true;
    }

    /// <summary>The magic, the type and the entry count; throws on bad magic or too many entries.</summary>
    private static bool TryReadHead(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> type, out uint count)
    {
        type = default;
        count = 0;
        if (reader.Remaining < RequestMagic.Length)
        {
            return false;
        }
        if (!reader.IsNext(RequestMagic, advancePast: true))
        {
            throw new InvalidDataException("not a CNI plugin server message");
        }
        if (!TryReadBlock(ref reader, out type) || !TryReadU32(ref reader, out count))
        {
            return false;
        }
        if (count > MaxEntries)
        {
            throw new InvalidDataException($"{count} environment entries");
        }
        return true;
    }

    private static bool TryReadU32(ref SequenceReader<byte> reader, out uint value)
    {
        bool read = reader.TryReadLittleEndian(out int signed);
        value = (uint)signed;
        return read;
    }

    private static bool TryReadBlock(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> block)
    {
        block = default;
        if (!TryReadU32(ref reader, out uint length))
        {
            return false;
        }
        if (length > MaxBlock)
        {
            throw new InvalidDataException($"a block of {length} bytes");
        }
        if (reader.Remaining < length)
        {
            return false;
        }
        block = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length);
        return true;
    }

    /// <exception cref="InvalidDataException">Not a response.</exception>
    /// <exception cref="EndOfStreamException">The server closed the connection before answering.</exception>
    public static (int ExitCode, byte[] Stdout) ReadResponse(UnixStreamClient socket)
    {
        byte[] head = new byte[12];
        ReceiveExactly(socket, head);
        if (!head.AsSpan(0, 4).SequenceEqual(ResponseMagic))
        {
            throw new InvalidDataException("not a CNI plugin server message");
        }
        int exit = (int)BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(4));
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(8));
        if (length > MaxBlock)
        {
            throw new InvalidDataException($"a block of {length} bytes");
        }
        byte[] stdout = new byte[length];
        ReceiveExactly(socket, stdout);
        return (exit, stdout);
    }

    private static void ReceiveExactly(UnixStreamClient socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = socket.Receive(buffer);
            if (n == 0)
            {
                throw new EndOfStreamException("the plugin server closed the connection before answering");
            }
            buffer = buffer[n..];
        }
    }

    private static void WriteU32(Stream stream, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        stream.Write(b);
    }

    private static void WriteBlock(Stream stream, ReadOnlySpan<byte> bytes)
    {
        WriteU32(stream, (uint)bytes.Length);
        stream.Write(bytes);
    }
}
