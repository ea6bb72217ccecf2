namespace Cni.Net.Netlink;

/// <summary>
/// Receives the data messages of a reply (a dump or a single answer) from
/// <see cref="NetlinkSocket.Request{THandler}(ref NetlinkWriter, string, ref THandler)"/>. Implement it on a struct to
/// stay allocation-free.
/// </summary>
public interface INetlinkReplyHandler
{
    /// <summary>Called for each data message of the reply (never for NLMSG_DONE or NLMSG_ERROR).</summary>
    /// <param name="message">The message; its bytes live in the socket's receive buffer only during this call.</param>
    void OnMessage(NetlinkMessage message);

    /// <summary>
    /// Called when the kernel flagged the dump as interrupted (NLM_F_DUMP_INTR) and it is about to be repeated:
    /// forget everything received so far.
    /// </summary>
    void OnRestart();
}
