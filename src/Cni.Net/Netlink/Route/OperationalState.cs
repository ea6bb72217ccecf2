namespace Cni.Net.Netlink.Route;

/// <summary>RFC 2863 operational state (<c>IF_OPER_*</c>, IFLA_OPERSTATE).</summary>
public enum OperationalState
{
    /// <summary>IF_OPER_UNKNOWN.</summary>
    Unknown = 0,
    /// <summary>IF_OPER_NOTPRESENT.</summary>
    NotPresent = 1,
    /// <summary>IF_OPER_DOWN.</summary>
    Down = 2,
    /// <summary>IF_OPER_LOWERLAYERDOWN.</summary>
    LowerLayerDown = 3,
    /// <summary>IF_OPER_TESTING.</summary>
    Testing = 4,
    /// <summary>IF_OPER_DORMANT.</summary>
    Dormant = 5,
    /// <summary>IF_OPER_UP.</summary>
    Up = 6,
}
