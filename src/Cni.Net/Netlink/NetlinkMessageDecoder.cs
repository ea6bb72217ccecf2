namespace Cni.Net.Netlink;

/// <summary>
/// Turns one reply message into an item for
/// <see cref="NetlinkSocket.Dump{T}(ref NetlinkWriter, string, NetlinkMessageDecoder{T})"/>; returns
/// <see langword="false"/> to skip the message.
/// </summary>
public delegate bool NetlinkMessageDecoder<T>(NetlinkMessage message, out T item);
