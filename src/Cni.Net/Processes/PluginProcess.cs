namespace Cni.Net.Processes;

/// <summary>
/// Whether this process is a plugin process: one request answered by <see cref="Plugins.CniPluginHost.Run"/> (or by the
/// plugin server's shim, <see cref="Plugins.Server.CniPluginClient.Run(string, string?, Plugins.ICniPlugin?, Plugins.CniPluginHostOptions?)"/>),
/// then exit. Such a process gives work that runs beside its caller a thread of its own rather than the thread pool:
/// the pool has no thread yet and starts two for its first work item (a worker and the gate thread that watches it),
/// and the caller waits until each has started. In bridge's exec'd ADD, for its in-process IPAM delegate, that took
/// 0.2–0.55 ms longer than a thread of its own (benchmarks/README).
/// </summary>
internal static class PluginProcess
{
    private static volatile bool s_isCurrent;

    /// <summary>Whether <see cref="MarkCurrent"/> was called in this process.</summary>
    public static bool IsCurrent => s_isCurrent;

    /// <summary>Marks this process as a plugin process.</summary>
    public static void MarkCurrent() => s_isCurrent = true;

    /// <summary>
    /// Starts <paramref name="work"/> on a new background thread, which starts in the calling thread's network
    /// namespace. What runs after its first real wait runs wherever the continuation is scheduled.
    /// </summary>
    /// <returns>The work's task; an exception <paramref name="work"/> throws faults it.</returns>
    public static Task<T> StartThread<T>(Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var started = new TaskCompletionSource<Task<T>>();
        var thread = new Thread(() =>
        {
            Task<T> running;
            try
            {
                running = work();
            }
            catch (Exception e)
            {
                running = Task.FromException<T>(e);
            }
            started.SetResult(running);
        })
        {
            IsBackground = true,
        };
        thread.Start();
        return started.Task.Unwrap();
    }
}
