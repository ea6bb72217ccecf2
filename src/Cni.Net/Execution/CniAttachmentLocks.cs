namespace Cni.Net.Execution;

/// <summary>
/// In-process serialization of chain operations: operations on one attachment (network + container + ifname) run one
/// at a time, different attachments run in parallel, and GC runs alone (it takes the gate exclusively, every attachment
/// operation takes it shared).
/// </summary>
internal sealed class CniAttachmentLocks
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<TaskCompletionSource> _waitingExclusive = new();
    private readonly List<TaskCompletionSource> _waitingShared = [];
    private int _shared;
    private bool _exclusive;

    /// <summary>Takes the gate shared and the attachment's own lock.</summary>
    public async ValueTask<Releaser> EnterAttachmentAsync(string key, CancellationToken cancellationToken)
    {
        await EnterSharedAsync(cancellationToken).ConfigureAwait(false);
        Entry entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries.Add(key, entry);
            }
            entry.Users++;
        }
        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Forget(key, entry);
            ExitShared();
            throw;
        }
        return new Releaser(this, key, entry);
    }

    /// <summary>Takes the gate exclusively: waits for running attachment operations, holds new ones back.</summary>
    public async ValueTask<Releaser> EnterExclusiveAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource? wait = null;
        lock (_gate)
        {
            if (!_exclusive && _shared == 0)
            {
                _exclusive = true;
            }
            else
            {
                wait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waitingExclusive.Enqueue(wait);
            }
        }
        if (wait is not null)
        {
            await WaitOrAbandonAsync(wait, exclusive: true, cancellationToken).ConfigureAwait(false);
        }
        return new Releaser(this, null, null);
    }

    /// <summary>How many attachment keys are currently tracked (tests check that nothing leaks).</summary>
    internal int TrackedKeys
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    private async ValueTask EnterSharedAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource? wait = null;
        lock (_gate)
        {
            // Writer preference: a waiting GC is not starved by a stream of ADDs.
            if (!_exclusive && _waitingExclusive.Count == 0)
            {
                _shared++;
            }
            else
            {
                wait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waitingShared.Add(wait);
            }
        }
        if (wait is not null)
        {
            await WaitOrAbandonAsync(wait, exclusive: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitOrAbandonAsync(TaskCompletionSource wait, bool exclusive, CancellationToken cancellationToken)
    {
        try
        {
            await wait.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            bool granted;
            lock (_gate)
            {
                granted = wait.Task.IsCompleted;
                if (!granted)
                {
                    if (exclusive)
                    {
                        var rest = _waitingExclusive.Where(w => w != wait).ToList();
                        _waitingExclusive.Clear();
                        rest.ForEach(_waitingExclusive.Enqueue);
                    }
                    else
                    {
                        _waitingShared.Remove(wait);
                    }
                }
            }
            if (granted)
            {
                // Granted just as we gave up: hand it back.
                if (exclusive)
                {
                    ExitExclusive();
                }
                else
                {
                    ExitShared();
                }
            }
            else
            {
                lock (_gate)
                {
                    WakeLocked();
                }
            }
            throw;
        }
    }

    private void ExitShared()
    {
        lock (_gate)
        {
            _shared--;
            WakeLocked();
        }
    }

    private void ExitExclusive()
    {
        lock (_gate)
        {
            _exclusive = false;
            WakeLocked();
        }
    }

    private void WakeLocked()
    {
        if (_exclusive)
        {
            return;
        }
        if (_waitingExclusive.Count > 0)
        {
            if (_shared == 0)
            {
                _exclusive = true;
                _waitingExclusive.Dequeue().TrySetResult();
            }
            return;
        }
        _shared += _waitingShared.Count;
        foreach (TaskCompletionSource w in _waitingShared)
        {
            w.TrySetResult();
        }
        _waitingShared.Clear();
    }

    private void Forget(string key, Entry entry)
    {
        lock (_gate)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Semaphore.Dispose();
            }
        }
    }

    internal sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }

    /// <summary>Releases what was taken; dispose exactly once.</summary>
    internal readonly struct Releaser : IDisposable
    {
        private readonly CniAttachmentLocks? _owner;
        private readonly string? _key;
        private readonly Entry? _entry;

        internal Releaser(CniAttachmentLocks owner, string? key, Entry? entry)
        {
            _owner = owner;
            _key = key;
            _entry = entry;
        }

        public void Dispose()
        {
            if (_owner is null)
            {
                return;
            }
            if (_entry is null)
            {
                _owner.ExitExclusive();
                return;
            }
            _entry.Semaphore.Release();
            _owner.Forget(_key!, _entry);
            _owner.ExitShared();
        }
    }
}
