using Microsoft.Extensions.Logging;
using Cni.Net.Interop;

namespace Cni.Net.Processes;

/// <summary>
/// The runtime's way to run a plugin binary: the run of <see cref="BlockingPluginRunner"/> (same limits, errors and
/// log events), spawned from the calling thread and waited for on a thread of its own, so no thread-pool thread blocks
/// in poll(2) or waitpid.
/// </summary>
internal static class PluginProcessRunner
{
    public static async ValueTask<T> RunAsync<T>(PluginLaunch launch, PluginOutputHandler<T> handler, ILogger logger,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ChildProcess process = await BlockingPluginRunner.SpawnAsync(launch, logger, cancellationToken).ConfigureAwait(false);
        var pending = new BlockingPluginRunner.PendingPlugin<T>(process, launch, handler, logger, cancellationToken);
        return await Task.Factory.StartNew(static state => ((BlockingPluginRunner.PendingPlugin<T>)state!).GetResult(0), pending,
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }
}
