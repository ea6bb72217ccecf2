using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Cni.Net.Plugins.Server;

namespace Cni.Net.Tests.Plugins.Server;

/// <summary>The server's request parser, fed the way a socket may deliver a request: in pieces of any size.</summary>
public sealed class PluginServerProtocolTests
{
    private static readonly Dictionary<string, string> Environment = new(StringComparer.Ordinal)
    {
        ["CNI_COMMAND"] = "ADD", ["CNI_CONTAINERID"] = "c1", ["CNI_ARGS"] = "A=1;B=2", ["EMPTY"] = "", ["NOTE"] = "é=ü",
    };

    private static byte[] Encoded(byte[]? stdin = null) =>
        PluginServerProtocol.EncodeRequest("bridge", Environment, stdin ?? """{"cniVersion":"1.0.0"}"""u8.ToArray());

    [Fact]
    public void EveryPrefix_IsIncomplete_AndTheWholeRequestParses_EndingWhereItEnds()
    {
        byte[] request = Encoded();
        byte[] withMore = [.. request, 1, 2, 3];
        for (int length = 0; length < request.Length; length++)
        {
            Assert.False(PluginServerProtocol.TryParseRequest(new ReadOnlySequence<byte>(withMore, 0, length), out _, out _), $"prefix {length}");
        }
        var buffer = new ReadOnlySequence<byte>(withMore);
        Assert.True(PluginServerProtocol.TryParseRequest(buffer, out PluginServerProtocol.Request parsed, out SequencePosition end));
        Assert.Equal(request.Length, buffer.Slice(0, end).Length);
        Assert.Equal("bridge", parsed.Type);
        Assert.Equal(Environment, parsed.Environment);
        Assert.Equal("""{"cniVersion":"1.0.0"}"""u8.ToArray(), parsed.Stdin);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void ARequestInSegments_ParsesAsInOne(int segmentLength)
    {
        byte[] stdin = new byte[5000];
        new Random(7).NextBytes(stdin);
        byte[] request = Encoded(stdin);
        Assert.True(PluginServerProtocol.TryParseRequest(Segments(request, segmentLength), out PluginServerProtocol.Request parsed, out _));
        Assert.Equal(Environment, parsed.Environment);
        Assert.Equal(stdin, parsed.Stdin);
    }

    [Fact]
    public void WhatCannotStartARequest_IsRefusedAsSoonAsItIsSeen()
    {
        var garbage = Assert.Throws<InvalidDataException>(() => PluginServerProtocol.TryParseRequest(new ReadOnlySequence<byte>("GET "u8.ToArray()), out _, out _));
        Assert.Equal("not a CNI plugin server message", garbage.Message);

        byte[] tooMany = [.. "CNQ1"u8, 1, 0, 0, 0, (byte)'x', 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt32LittleEndian(tooMany.AsSpan(9), PluginServerProtocol.MaxEntries + 1);
        Assert.Throws<InvalidDataException>(() => PluginServerProtocol.TryParseRequest(new ReadOnlySequence<byte>(tooMany), out _, out _));

        byte[] tooLarge = [.. "CNQ1"u8, 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt32LittleEndian(tooLarge.AsSpan(4), PluginServerProtocol.MaxBlock + 1);
        var large = Assert.Throws<InvalidDataException>(() => PluginServerProtocol.TryParseRequest(new ReadOnlySequence<byte>(tooLarge), out _, out _));
        Assert.Equal($"a block of {PluginServerProtocol.MaxBlock + 1} bytes", large.Message);
    }

    [Fact]
    public async Task ReadRequestAsync_WaitsForTheRest_AndReportsAConnectionThatEndsEarly()
    {
        byte[] request = Encoded();
        var pipe = new Pipe();
        ValueTask<PluginServerProtocol.Request> reading = PluginServerProtocol.ReadRequestAsync(pipe.Reader, TestContext.Current.CancellationToken);
        await pipe.Writer.WriteAsync(request.AsMemory(0, 10), TestContext.Current.CancellationToken);
        Assert.False(reading.IsCompleted);
        await pipe.Writer.WriteAsync(request.AsMemory(10), TestContext.Current.CancellationToken);
        Assert.Equal(Environment, (await reading).Environment);

        var cut = new Pipe();
        await cut.Writer.WriteAsync(request.AsMemory(0, request.Length - 1), TestContext.Current.CancellationToken);
        await cut.Writer.CompleteAsync();
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await PluginServerProtocol.ReadRequestAsync(cut.Reader, TestContext.Current.CancellationToken));
    }

    private static ReadOnlySequence<byte> Segments(byte[] data, int length)
    {
        Segment first = new(data.AsMemory(0, Math.Min(length, data.Length)), 0);
        Segment last = first;
        for (int at = length; at < data.Length; at += length)
        {
            last = last.Append(data.AsMemory(at, Math.Min(length, data.Length - at)));
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
