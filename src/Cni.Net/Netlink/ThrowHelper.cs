using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Cni.Net.Netlink;

/// <summary>Throw sites kept out of the hot methods so that those stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowBufferTooSmall(int needed, int available) =>
        throw new InvalidOperationException(
            $"netlink message does not fit: {needed} more bytes needed, {available} left in the buffer");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowProtocol(string message) => throw new NetlinkProtocolException(message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static T ThrowProtocol<T>(string message) => throw new NetlinkProtocolException(message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowAttributeLength(ushort type, int length, int expected) =>
        throw new NetlinkProtocolException($"attribute {type} has {length} bytes, expected {expected}");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgument(string message, string paramName) => throw new ArgumentException(message, paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowErrno(string operation, int errno) => throw new NetlinkException(operation, errno);
}
