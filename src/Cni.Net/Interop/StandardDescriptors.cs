using System.Runtime.InteropServices;

namespace Cni.Net.Interop;

/// <summary>
/// Which of stdin, stdout and stderr were closed when the process started (<c>cni-net-standard-fds.c</c>, linked into
/// NativeAOT executables by <c>Cni.Net.Detached.targets</c>, which fills them with <c>/dev/null</c> before the runtime
/// starts). Where it is not linked in, none are known to have been closed.
/// </summary>
internal static partial class StandardDescriptors
{
    /// <summary>The AppContext switch the targets set where the native part is linked in.</summary>
    public const string Switch = "Cni.Net.Interop.NativeSupport";

    private static int s_closed = -1;

    /// <summary>Whether descriptor <paramref name="fd"/> (0, 1 or 2) was closed at the process's start.</summary>
    public static bool WasClosedAtStart(int fd)
    {
        int closed = Volatile.Read(ref s_closed);
        if (closed < 0)
        {
            closed = AppContext.TryGetSwitch(Switch, out bool linked) && linked ? ClosedAtStart() : 0;
            Volatile.Write(ref s_closed, closed);
        }
        return (closed & (1 << fd)) != 0;
    }

    [LibraryImport("cni-net-native", EntryPoint = "cni_net_standard_fds_closed_at_start")]
    private static partial int ClosedAtStart();
}
