using System.Diagnostics;
using Cni.Net.Plugins;

namespace Cni.Net.Tests.Plugins;

/// <summary>
/// <see cref="ProcessDeadlines"/>: a plugin process's deadlines, run by the thread that waits for the plugin's outcome
/// instead of by a timer.
/// </summary>
public sealed class ProcessDeadlinesTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>Runs <see cref="ProcessDeadlines.Wait"/> on a thread of its own; returns that thread's id once it returns.</summary>
    private static Task<int> WaitOnAThread(ProcessDeadlines deadlines, Task task)
    {
        var returned = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            deadlines.Wait(task);
            returned.SetResult(Environment.CurrentManagedThreadId);
        })
        {
            IsBackground = true,
        };
        thread.Start();
        return returned.Task;
    }

    [Fact]
    public async Task Wait_ReturnsOnceTheTaskCompletes()
    {
        var deadlines = new ProcessDeadlines();
        var outcome = new TaskCompletionSource();
        Task<int> waiting = WaitOnAThread(deadlines, outcome.Task);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);

        outcome.SetResult();

        await waiting.WaitAsync(Patience, TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Wait_OnACompletedTask_ReturnsWithoutRunningADeadline()
    {
        var deadlines = new ProcessDeadlines();
        bool ran = false;
        using ProcessDeadlines.Registration due = deadlines.Arm(TimeSpan.Zero, () => ran = true);

        deadlines.Wait(Task.CompletedTask);

        Assert.False(ran);
    }

    [Fact]
    public async Task ADueDeadline_RunsOnTheWaitingThread_NotBeforeItsTime()
    {
        var deadlines = new ProcessDeadlines();
        var outcome = new TaskCompletionSource();
        int ranOn = 0;
        long armed = Stopwatch.GetTimestamp();
        TimeSpan ranAfter = default;
        using ProcessDeadlines.Registration deadline = deadlines.Arm(TimeSpan.FromMilliseconds(150), () =>
        {
            ranAfter = Stopwatch.GetElapsedTime(armed);
            ranOn = Environment.CurrentManagedThreadId;
            outcome.SetResult();
        });

        int waiter = await WaitOnAThread(deadlines, outcome.Task).WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.Equal(waiter, ranOn);
        Assert.True(ranAfter >= TimeSpan.FromMilliseconds(150), $"ran after {ranAfter.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Deadlines_RunEarliestFirst_AndADisarmedOneNever()
    {
        var deadlines = new ProcessDeadlines();
        var outcome = new TaskCompletionSource();
        var ran = new List<string>();
        using ProcessDeadlines.Registration late = deadlines.Arm(TimeSpan.FromMilliseconds(250), () =>
        {
            ran.Add("late");
            outcome.SetResult();
        });
        using ProcessDeadlines.Registration early = deadlines.Arm(TimeSpan.FromMilliseconds(20), () => ran.Add("early"));
        ProcessDeadlines.Registration disarmed = deadlines.Arm(TimeSpan.FromMilliseconds(100), () => ran.Add("disarmed"));
        disarmed.Dispose();
        using ProcessDeadlines.Registration never = deadlines.Arm(Timeout.InfiniteTimeSpan, () => ran.Add("infinite"));

        await WaitOnAThread(deadlines, outcome.Task).WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.Equal(["early", "late"], ran);
    }

    [Fact]
    public async Task ADeadlineArmedFromAnotherThread_WhileTheWaiterSleeps_WakesIt()
    {
        var deadlines = new ProcessDeadlines();
        var outcome = new TaskCompletionSource();
        Task<int> waiting = WaitOnAThread(deadlines, outcome.Task);
        await Task.Delay(100, TestContext.Current.CancellationToken); // the waiter is asleep with nothing armed

        int ranOn = 0;
        using ProcessDeadlines.Registration deadline = deadlines.Arm(TimeSpan.FromMilliseconds(10), () =>
        {
            ranOn = Environment.CurrentManagedThreadId;
            outcome.SetResult();
        });

        int waiter = await waiting.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(waiter, ranOn);
    }

    [Fact]
    public void Arm_RefusesANegativeDelay()
    {
        var deadlines = new ProcessDeadlines();
        Assert.Throws<ArgumentOutOfRangeException>(() => deadlines.Arm(TimeSpan.FromMilliseconds(-2), () => { }));
    }
}
