namespace Cni.Net.Dhcp;

/// <summary>The DHCP message type (option 53, RFC 2132 section 9.6).</summary>
public enum DhcpMessageType : byte
{
    /// <summary>Not a DHCP message (a BOOTP message without option 53).</summary>
    None = 0,

    /// <summary>DHCPDISCOVER: a client looks for servers.</summary>
    Discover = 1,

    /// <summary>DHCPOFFER: a server offers an address.</summary>
    Offer = 2,

    /// <summary>DHCPREQUEST: a client asks for (or renews) an address.</summary>
    Request = 3,

    /// <summary>DHCPDECLINE: the offered address is in use.</summary>
    Decline = 4,

    /// <summary>DHCPACK: the server grants the lease.</summary>
    Ack = 5,

    /// <summary>DHCPNAK: the server refuses the request.</summary>
    Nak = 6,

    /// <summary>DHCPRELEASE: the client gives the address back.</summary>
    Release = 7,

    /// <summary>DHCPINFORM: a client with an address asks for configuration only.</summary>
    Inform = 8,
}
