namespace Cni.Net.Dhcp;

/// <summary>How a <see cref="DhcpClient"/> identifies itself, what it asks for and how long it waits.</summary>
public sealed class DhcpClientOptions
{
    /// <summary>Option 61's value (its type byte first), or empty to send none.</summary>
    public ReadOnlyMemory<byte> ClientIdentifier { get; set; }

    /// <summary>Option 55: the options the client asks the server for; empty to send no list.</summary>
    public IList<byte> ParameterRequestList { get; } = [DhcpOptionCode.SubnetMask, DhcpOptionCode.Router];

    /// <summary>
    /// More options for DISCOVER and REQUEST (host name, vendor class…). An option given here replaces the client's
    /// own of the same code (client identifier, parameter request list).
    /// </summary>
    public IList<DhcpOptionValue> ExtraOptions { get; } = [];

    /// <summary>Sets the broadcast flag, asking servers to broadcast their answers.</summary>
    public bool Broadcast { get; set; }

    /// <summary>How long to wait for each answer (OFFER, ACK) before the attempt counts as failed (default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest pause between failed attempts (default 62 s); pauses start at 2 s and double from 4 s.</summary>
    public TimeSpan ResendMax { get; set; } = TimeSpan.FromSeconds(62);

    /// <summary>How long to keep trying an acquisition or a renewal before giving up (default 208 s).</summary>
    public TimeSpan ResendTimeout { get; set; } = TimeSpan.FromSeconds(208);

    /// <summary>The clock (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>One DHCP option to send.</summary>
/// <param name="Code">The option code.</param>
/// <param name="Value">Its value, at most 255 bytes.</param>
public readonly record struct DhcpOptionValue(byte Code, ReadOnlyMemory<byte> Value);

/// <summary>Why <see cref="DhcpClient.MaintainAsync"/> stopped.</summary>
public enum DhcpMaintenanceEnd
{
    /// <summary>The caller cancelled: the lease is still held (release it, or let it run out).</summary>
    Stopped,

    /// <summary>Neither renewal nor rebinding succeeded before the lease ran out.</summary>
    Expired,

    /// <summary>The interface (or its namespace) is gone.</summary>
    LinkGone,
}
