using System.Diagnostics;

namespace Cni.Net.Plugins;

/// <summary>
/// The deadlines of a plugin process, kept without the runtime's timers. The first timer a .NET process arms starts a
/// thread of its own, and the arming thread waits until that thread runs: in a process that lives a few milliseconds,
/// bridge's ADD took 0.2–0.7 ms longer with the timer of its in-process IPAM delegate's timeout (benchmarks/README).
/// The thread of <see cref="CniPluginHost.Run"/> (<see cref="CniPluginHost.InvokeAsPluginProcess"/>) has nothing to do
/// but wait for the plugin's outcome; it waits at most until the earliest deadline and runs the ones that are due, on
/// itself.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001",
    Justification = "One per plugin process, which it lives as long as: a delegate's thread may still set the event as the process exits.")]
internal sealed class ProcessDeadlines
{
    private readonly Lock _gate = new();
    private readonly List<Deadline> _pending = [];
    private readonly ManualResetEventSlim _wake = new();

    /// <summary>
    /// Runs <paramref name="expire"/> on the waiting thread once <paramref name="after"/> has passed, unless the
    /// returned registration is disposed first. An infinite <paramref name="after"/> arms nothing.
    /// </summary>
    public Registration Arm(TimeSpan after, Action expire)
    {
        ArgumentNullException.ThrowIfNull(expire);
        if (after == Timeout.InfiniteTimeSpan)
        {
            return default;
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(after, TimeSpan.Zero);
        double ticks = after.TotalSeconds * Stopwatch.Frequency;
        long now = Stopwatch.GetTimestamp();
        long due = ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
        var deadline = new Deadline(due, expire);
        lock (_gate)
        {
            _pending.Add(deadline);
        }
        _wake.Set();
        return new Registration(this, deadline);
    }

    /// <summary>
    /// Blocks until <paramref name="task"/> completes, running each armed deadline on this thread when it is due.
    /// </summary>
    public void Wait(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.IsCompleted)
        {
            // A continuation on a completed task would be queued to the thread pool, starting it.
            return;
        }
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_wake.Set);
        while (true)
        {
            // Reset before looking: a completion or an Arm after this point sets it again, so no wake-up is lost.
            _wake.Reset();
            if (task.IsCompleted)
            {
                return;
            }
            if (TakeDue(out int waitMilliseconds) is { } expire)
            {
                expire();
                continue;
            }
            _wake.Wait(waitMilliseconds);
        }
    }

    private Action? TakeDue(out int waitMilliseconds)
    {
        long now = Stopwatch.GetTimestamp();
        long next = long.MaxValue;
        lock (_gate)
        {
            for (int i = 0; i < _pending.Count; i++)
            {
                Deadline deadline = _pending[i];
                if (deadline.Due <= now)
                {
                    _pending.RemoveAt(i);
                    waitMilliseconds = 0;
                    return deadline.Expire;
                }
                next = Math.Min(next, deadline.Due);
            }
        }
        waitMilliseconds = next == long.MaxValue
            ? Timeout.Infinite
            : (int)Math.Min(int.MaxValue - 1, Math.Ceiling((next - now) * 1000.0 / Stopwatch.Frequency));
        return null;
    }

    private void Disarm(Deadline deadline)
    {
        lock (_gate)
        {
            _pending.Remove(deadline);
        }
    }

    internal sealed class Deadline(long due, Action expire)
    {
        public long Due { get; } = due;

        public Action Expire { get; } = expire;
    }

    /// <summary>An armed deadline; disposing it disarms it (nothing when it has run or was never armed).</summary>
    internal readonly struct Registration : IDisposable
    {
        private readonly ProcessDeadlines? _owner;
        private readonly Deadline? _deadline;

        internal Registration(ProcessDeadlines owner, Deadline deadline)
        {
            _owner = owner;
            _deadline = deadline;
        }

        public void Dispose()
        {
            if (_deadline is not null)
            {
                _owner!.Disarm(_deadline);
            }
        }
    }
}
