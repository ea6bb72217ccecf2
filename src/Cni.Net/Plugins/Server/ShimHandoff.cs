using System.Runtime.InteropServices;
using Cni.Net.Interop;

namespace Cni.Net.Plugins.Server;

/// <summary>
/// What a shim's native entry point (<c>cni-net-shim-entry.c</c>, linked by <c>Cni.Net.ShimEntry.targets</c>) did before
/// it let the runtime start: it forwards an ordinary invocation itself and exits, and hands every other one over to
/// <see cref="CniPluginClient.Run(string, string?, ICniPlugin?, CniPluginHostOptions?)"/>, with the stdin it has read
/// by then and why it stopped.
/// </summary>
internal static unsafe partial class ShimHandoff
{
    /// <summary>The AppContext switch the targets set in an executable the entry point is linked into.</summary>
    public const string Switch = "Cni.Net.Plugins.Server.ShimEntry";

    /// <summary>Why the entry point handed over (the same values as <c>cni-net-shim-entry.c</c>'s enum).</summary>
    public enum Reason
    {
        /// <summary>The entry point did not run (not linked in): the client does everything.</summary>
        NotRun = 0,
        /// <summary>An invocation the client must judge itself; stdin is unread.</summary>
        Unusual = 1,
        /// <summary>Reading stdin failed.</summary>
        StdinFailed = 2,
        /// <summary>Stdin read; no server accepted a connection.</summary>
        NoServer = 3,
        /// <summary>Stdin read; sending the request failed.</summary>
        SendFailed = 4,
        /// <summary>Stdin read; receiving the answer failed.</summary>
        ReceiveFailed = 5,
        /// <summary>Stdin read; the server closed the connection before answering.</summary>
        Closed = 6,
        /// <summary>Stdin read; the answer was not one.</summary>
        NotAnAnswer = 7,
        /// <summary>Stdin read; the answer announced a block over the limit (the size in <c>Error</c>).</summary>
        TooLarge = 8,
    }

    /// <summary>What the entry point left: why, the errno (or size) that goes with it, and the stdin it read (or null).</summary>
    public readonly record struct State(Reason Reason, int Error, byte[]? Stdin)
    {
        /// <summary>
        /// The message the managed client's own exception would have carried for a request broken after it was
        /// connected, or null when the request did not break.
        /// </summary>
        public string? BrokenMessage => Reason switch
        {
            Reason.SendFailed => $"send to the plugin server failed: {Errno.Describe(Error)} (errno {Error})",
            Reason.ReceiveFailed => $"receive from the plugin server failed: {Errno.Describe(Error)} (errno {Error})",
            Reason.Closed => "the plugin server closed the connection before answering",
            Reason.NotAnAnswer => "not a CNI plugin server message",
            Reason.TooLarge => $"a block of {(uint)Error} bytes",
            _ => null,
        };
    }

    /// <summary>What the entry point left (nothing where it is not linked in).</summary>
    public static State Take()
    {
        if (!AppContext.TryGetSwitch(Switch, out bool linked) || !linked)
        {
            return default;
        }
        int reason = Native(out int error, out byte* bytes, out ulong length);
        byte[]? stdin = bytes is null ? null : new ReadOnlySpan<byte>(bytes, checked((int)length)).ToArray();
        return new State((Reason)reason, error, stdin);
    }

    [LibraryImport("cni-net-shim", EntryPoint = "cni_net_shim_handoff")]
    private static partial int Native(out int error, out byte* stdinBytes, out ulong stdinLength);
}
