using System.Buffers.Binary;
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

    /// <exception cref="InvalidDataException">Not a request, or one too large.</exception>
    public static async ValueTask<Request> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        await ExpectMagicAsync(stream, RequestMagic.ToArray(), cancellationToken).ConfigureAwait(false);
        string type = Encoding.UTF8.GetString(await ReadBlockAsync(stream, cancellationToken).ConfigureAwait(false));
        uint count = await ReadU32Async(stream, cancellationToken).ConfigureAwait(false);
        if (count > MaxEntries)
        {
            throw new InvalidDataException($"{count} environment entries");
        }
        var environment = new Dictionary<string, string>((int)count, StringComparer.Ordinal);
        for (uint i = 0; i < count; i++)
        {
            string entry = Encoding.UTF8.GetString(await ReadBlockAsync(stream, cancellationToken).ConfigureAwait(false));
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                environment[entry[..eq]] = entry[(eq + 1)..];
            }
        }
        byte[] stdin = await ReadBlockAsync(stream, cancellationToken).ConfigureAwait(false);
        return new Request(type, environment, stdin);
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

    private static async ValueTask ExpectMagicAsync(Stream stream, byte[] magic, CancellationToken cancellationToken)
    {
        byte[] got = new byte[magic.Length];
        await stream.ReadExactlyAsync(got, cancellationToken).ConfigureAwait(false);
        if (!got.AsSpan().SequenceEqual(magic))
        {
            throw new InvalidDataException("not a CNI plugin server message");
        }
    }

    private static async ValueTask<uint> ReadU32Async(Stream stream, CancellationToken cancellationToken)
    {
        byte[] b = new byte[4];
        await stream.ReadExactlyAsync(b, cancellationToken).ConfigureAwait(false);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private static async ValueTask<byte[]> ReadBlockAsync(Stream stream, CancellationToken cancellationToken)
    {
        uint length = await ReadU32Async(stream, cancellationToken).ConfigureAwait(false);
        if (length > MaxBlock)
        {
            throw new InvalidDataException($"a block of {length} bytes");
        }
        byte[] bytes = new byte[length];
        await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        return bytes;
    }
}
