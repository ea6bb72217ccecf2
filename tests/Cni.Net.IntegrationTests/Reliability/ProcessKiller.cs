using System.Globalization;
using System.Runtime.InteropServices;

namespace Cni.Net.IntegrationTests.Reliability;

/// <summary>
/// SIGKILLs everything this test process started — plugins (each leads its own process group), their delegated
/// IPAM plugins, cni-tool — as a crashing node or an OOM kill would. Every descendant is first SIGSTOPped until a scan
/// finds no new one (a stopped process cannot spawn), so no plugin escapes the kill and races the DEL that follows.
/// </summary>
internal static partial class ProcessKiller
{
    private const int SIGKILL = 9;
    private const int SIGSTOP = 19;

    /// <summary>Kills every descendant process and its process group; returns how many processes were killed.</summary>
    public static int KillDescendants()
    {
        int self = Environment.ProcessId;
        int ownGroup = getpgid(0);
        var stopped = new HashSet<int>();
        for (int round = 0; round < 50; round++)
        {
            List<int> found = [.. Descendants(self).Where(p => !stopped.Contains(p))];
            if (found.Count == 0)
            {
                break;
            }
            foreach (int pid in found)
            {
                _ = kill(pid, SIGSTOP);
                stopped.Add(pid);
            }
        }
        foreach (int pid in stopped)
        {
            int group = getpgid(pid);
            if (group > 0 && group != ownGroup)
            {
                _ = kill(-group, SIGKILL);
            }
            _ = kill(pid, SIGKILL);
        }
        return stopped.Count;
    }

    /// <summary>Waits until this process has no live descendant (killed children reaped or reparented).</summary>
    public static void WaitNoDescendants()
    {
        for (int i = 0; i < 200; i++)
        {
            if (Descendants(Environment.ProcessId).Count == 0)
            {
                return;
            }
            Thread.Sleep(25);
        }
        throw new TimeoutException("child processes are still running: " + string.Join(',', Descendants(Environment.ProcessId)));
    }

    /// <summary>Live descendants of <paramref name="root"/> from /proc (zombies excluded: they hold nothing).</summary>
    public static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }
            // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so parse after the last ')'.
            string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (rest[0] is "Z" or "X")
            {
                continue;
            }
            parents[pid] = int.Parse(rest[1], CultureInfo.InvariantCulture);
        }
        var result = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.Count > 0)
        {
            int parent = frontier.Dequeue();
            foreach (var (pid, ppid) in parents)
            {
                if (ppid == parent && pid != root)
                {
                    result.Add(pid);
                    frontier.Enqueue(pid);
                }
            }
        }
        return result;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpgid(int pid);
}
