namespace Cni.Net.Netlink.Route;

/// <summary>Well-known routing table ids (<c>RT_TABLE_*</c>); any other uint is a valid table too.</summary>
public static class RouteTable
{
    /// <summary>RT_TABLE_UNSPEC: no table given (lists every table; adds go to main).</summary>
    public const uint Unspecified = 0;

    /// <summary>RT_TABLE_DEFAULT (253).</summary>
    public const uint Default = 253;

    /// <summary>RT_TABLE_MAIN (254), the table of <c>ip route</c>.</summary>
    public const uint Main = 254;

    /// <summary>RT_TABLE_LOCAL (255): local and broadcast addresses.</summary>
    public const uint Local = 255;
}
