namespace Cni.Net.Netlink;

/// <summary>
/// A reply handler that searches a dump and can tell when it has found everything it looks for
/// (<see cref="NetlinkSocket.RequestUntilSatisfied{THandler}"/>).
/// </summary>
internal interface ISatisfiableReplyHandler : INetlinkReplyHandler
{
    /// <summary>True once the rest of the reply is not needed.</summary>
    bool Satisfied { get; }
}
