namespace Cni.Net.Dhcp;

/// <summary>DHCP option codes (RFC 2132, RFC 3442) that the client writes or reads. Any other code is a plain byte.</summary>
public static class DhcpOptionCode
{
    /// <summary>0: padding, no length byte.</summary>
    public const byte Pad = 0;

    /// <summary>1: subnet mask.</summary>
    public const byte SubnetMask = 1;

    /// <summary>3: routers, the first one is the default gateway.</summary>
    public const byte Router = 3;

    /// <summary>6: DNS servers.</summary>
    public const byte DomainNameServer = 6;

    /// <summary>12: host name.</summary>
    public const byte HostName = 12;

    /// <summary>15: domain name.</summary>
    public const byte DomainName = 15;

    /// <summary>33: static routes (classful destination, router pairs).</summary>
    public const byte StaticRoute = 33;

    /// <summary>50: the address the client asks for.</summary>
    public const byte RequestedIPAddress = 50;

    /// <summary>51: lease time in seconds.</summary>
    public const byte IPAddressLeaseTime = 51;

    /// <summary>53: the DHCP message type.</summary>
    public const byte MessageType = 53;

    /// <summary>54: the server identifier.</summary>
    public const byte ServerIdentifier = 54;

    /// <summary>55: the parameter request list.</summary>
    public const byte ParameterRequestList = 55;

    /// <summary>56: a message (a NAK's reason).</summary>
    public const byte Message = 56;

    /// <summary>57: the largest DHCP message the client accepts.</summary>
    public const byte MaximumMessageSize = 57;

    /// <summary>58: renewal time (T1) in seconds.</summary>
    public const byte RenewalTime = 58;

    /// <summary>59: rebinding time (T2) in seconds.</summary>
    public const byte RebindingTime = 59;

    /// <summary>60: vendor class identifier.</summary>
    public const byte VendorClassIdentifier = 60;

    /// <summary>61: client identifier.</summary>
    public const byte ClientIdentifier = 61;

    /// <summary>77: user class.</summary>
    public const byte UserClass = 77;

    /// <summary>119: domain search list (RFC 3397).</summary>
    public const byte DomainSearch = 119;

    /// <summary>121: classless static routes (RFC 3442).</summary>
    public const byte ClasslessStaticRoute = 121;

    /// <summary>255: end of the options.</summary>
    public const byte End = 255;
}
