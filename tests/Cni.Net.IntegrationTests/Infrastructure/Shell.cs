using System.Diagnostics;
using System.Text.Json;

namespace Cni.Net.IntegrationTests.Infrastructure;

/// <summary>Runs external tools (ip, tc, iptables-save, reference plugins) with argv only, never a shell.</summary>
internal static class Shell
{
    internal sealed record Output(int ExitCode, string StdOut, string StdErr);

    public static Output Run(string file, IEnumerable<string> args, string? stdin = null,
        IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }
        using var p = Process.Start(psi)!;
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> e = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
        }
        p.StandardInput.Close();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        return new Output(p.ExitCode, o.Result, e.Result);
    }

    /// <summary>Runs and requires exit code 0; returns stdout.</summary>
    public static string Check(string file, params string[] args)
    {
        Output r = Run(file, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({r.ExitCode}): {r.StdErr}{r.StdOut}");
        }
        return r.StdOut;
    }

    /// <summary>Runs a command that prints JSON (ip -j, tc -j) and parses it.</summary>
    public static JsonElement Json(string file, params string[] args)
    {
        string text = Check(file, args);
        if (string.IsNullOrWhiteSpace(text))
        {
            text = "[]";
        }
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
