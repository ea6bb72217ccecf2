namespace Cni.Net.Netlink.Route;

/// <summary>rtnetlink message types (<c>RTM_*</c> in linux/rtnetlink.h), including the traffic-control ones.</summary>
#pragma warning disable CA1028 // nlmsg_type is a u16 on the wire
public enum RouteMessageType : ushort
#pragma warning restore CA1028
{
    /// <summary>RTM_NEWLINK.</summary>
    NewLink = 16,
    /// <summary>RTM_DELLINK.</summary>
    DeleteLink = 17,
    /// <summary>RTM_GETLINK.</summary>
    GetLink = 18,
    /// <summary>RTM_SETLINK.</summary>
    SetLink = 19,
    /// <summary>RTM_NEWADDR.</summary>
    NewAddress = 20,
    /// <summary>RTM_DELADDR.</summary>
    DeleteAddress = 21,
    /// <summary>RTM_GETADDR.</summary>
    GetAddress = 22,
    /// <summary>RTM_NEWROUTE.</summary>
    NewRoute = 24,
    /// <summary>RTM_DELROUTE.</summary>
    DeleteRoute = 25,
    /// <summary>RTM_GETROUTE.</summary>
    GetRoute = 26,
    /// <summary>RTM_NEWNEIGH.</summary>
    NewNeighbor = 28,
    /// <summary>RTM_DELNEIGH.</summary>
    DeleteNeighbor = 29,
    /// <summary>RTM_GETNEIGH.</summary>
    GetNeighbor = 30,
    /// <summary>RTM_NEWRULE.</summary>
    NewRule = 32,
    /// <summary>RTM_DELRULE.</summary>
    DeleteRule = 33,
    /// <summary>RTM_GETRULE.</summary>
    GetRule = 34,
    /// <summary>RTM_NEWQDISC.</summary>
    NewQdisc = 36,
    /// <summary>RTM_DELQDISC.</summary>
    DeleteQdisc = 37,
    /// <summary>RTM_GETQDISC.</summary>
    GetQdisc = 38,
    /// <summary>RTM_NEWTCLASS.</summary>
    NewTrafficClass = 40,
    /// <summary>RTM_DELTCLASS.</summary>
    DeleteTrafficClass = 41,
    /// <summary>RTM_GETTCLASS.</summary>
    GetTrafficClass = 42,
    /// <summary>RTM_NEWTFILTER.</summary>
    NewTrafficFilter = 44,
    /// <summary>RTM_DELTFILTER.</summary>
    DeleteTrafficFilter = 45,
    /// <summary>RTM_GETTFILTER.</summary>
    GetTrafficFilter = 46,
    /// <summary>RTM_NEWACTION.</summary>
    NewAction = 48,
    /// <summary>RTM_DELACTION.</summary>
    DeleteAction = 49,
    /// <summary>RTM_GETACTION.</summary>
    GetAction = 50,
    /// <summary>RTM_NEWNSID.</summary>
    NewNamespaceId = 88,
    /// <summary>RTM_DELNSID.</summary>
    DeleteNamespaceId = 89,
    /// <summary>RTM_GETNSID.</summary>
    GetNamespaceId = 90,
    /// <summary>RTM_NEWCHAIN.</summary>
    NewChain = 100,
    /// <summary>RTM_DELCHAIN.</summary>
    DeleteChain = 101,
    /// <summary>RTM_GETCHAIN.</summary>
    GetChain = 102,
}
