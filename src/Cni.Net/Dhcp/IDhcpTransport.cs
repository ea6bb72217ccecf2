using System.Net;

namespace Cni.Net.Dhcp;

/// <summary>
/// How a <see cref="DhcpClient"/> reaches the link: it sends client messages to the server port and receives what
/// arrives for the client port. <see cref="DhcpPacketSocket"/> is the real one; tests substitute a fake server.
/// </summary>
public interface IDhcpTransport : IDisposable
{
    /// <summary>The link's hardware (MAC) address: the message's chaddr.</summary>
    ReadOnlyMemory<byte> HardwareAddress { get; }

    /// <summary>Sends one DHCP message from UDP port 68 to port 67 of <paramref name="destination"/>.</summary>
    /// <param name="message">The DHCP message.</param>
    /// <param name="source">The IP source: 0.0.0.0 until the client holds an address.</param>
    /// <param name="destination">255.255.255.255, or the server.</param>
    /// <exception cref="IOException">The link is gone or down.</exception>
    void Send(ReadOnlySpan<byte> message, IPAddress source, IPAddress destination);

    /// <summary>Waits for the next datagram to UDP port 68 and copies its payload to the start of <paramref name="buffer"/>.</summary>
    /// <returns>The payload's length.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="IOException">The link is gone.</exception>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}
