using Cni.Net.Execution;

namespace Cni.Net.Tests.Execution;

public class CniAttachmentLocksTests
{
    [Fact]
    public async Task SameAttachment_IsSerialized_OthersRunInParallel()
    {
        var locks = new CniAttachmentLocks();
        var a1 = await locks.EnterAttachmentAsync("a", default);
        ValueTask<CniAttachmentLocks.Releaser> a2 = locks.EnterAttachmentAsync("a", default);
        var b = await locks.EnterAttachmentAsync("b", default);
        Assert.False(a2.IsCompleted);
        a1.Dispose();
        (await a2).Dispose();
        b.Dispose();
        Assert.Equal(0, locks.TrackedKeys);
    }

    [Fact]
    public async Task Exclusive_WaitsForRunningAndHoldsBackNew()
    {
        var locks = new CniAttachmentLocks();
        var a = await locks.EnterAttachmentAsync("a", default);
        ValueTask<CniAttachmentLocks.Releaser> gc = locks.EnterExclusiveAsync(default);
        Assert.False(gc.IsCompleted);
        ValueTask<CniAttachmentLocks.Releaser> b = locks.EnterAttachmentAsync("b", default);
        Assert.False(b.IsCompleted);
        a.Dispose();
        var gcHeld = await gc;
        await Task.Delay(50);
        Assert.False(b.IsCompleted);
        gcHeld.Dispose();
        (await b).Dispose();
        Assert.Equal(0, locks.TrackedKeys);
    }

    [Fact]
    public async Task CancelledWaiter_LeavesLocksUsable()
    {
        var locks = new CniAttachmentLocks();
        var a = await locks.EnterAttachmentAsync("a", default);
        using var cts = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await locks.EnterAttachmentAsync("a", cts.Token));
        using var cts2 = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await locks.EnterExclusiveAsync(cts2.Token));
        a.Dispose();
        (await locks.EnterExclusiveAsync(default)).Dispose();
        (await locks.EnterAttachmentAsync("a", default)).Dispose();
        Assert.Equal(0, locks.TrackedKeys);
    }

    [Fact]
    public async Task ManyConcurrentUsers_NeverOverlapOnOneKey()
    {
        var locks = new CniAttachmentLocks();
        int inside = 0, maxInside = 0, gcInside = 0;
        async Task Worker(int i)
        {
            for (int n = 0; n < 50; n++)
            {
                if ((i + n) % 17 == 0)
                {
                    using (await locks.EnterExclusiveAsync(default))
                    {
                        Assert.Equal(0, Volatile.Read(ref inside));
                        Interlocked.Increment(ref gcInside);
                        await Task.Yield();
                        Interlocked.Decrement(ref gcInside);
                    }
                    continue;
                }
                using (await locks.EnterAttachmentAsync("k", default))
                {
                    Assert.Equal(0, Volatile.Read(ref gcInside));
                    int now = Interlocked.Increment(ref inside);
                    maxInside = Math.Max(maxInside, now);
                    await Task.Yield();
                    Interlocked.Decrement(ref inside);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Worker(i))));
        Assert.Equal(1, maxInside);
        Assert.Equal(0, locks.TrackedKeys);
    }
}
