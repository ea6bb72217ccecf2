using System.Diagnostics;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Iptables;

/// <summary>Runs a tool with an argument vector and optional stdin: no shell ever parses anything.</summary>
internal static class ToolRunner
{
    internal readonly record struct Result(int ExitCode, string StdOut, string StdErr);

    public static async ValueTask<Result> RunAsync(string file, IReadOnlyList<string> args, string? stdin, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new NetfilterException($"could not start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new NetfilterException($"could not start {file}: {e.Message} (is the iptables package installed?)", e);
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                if (stdin is not null)
                {
                    await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken).ConfigureAwait(false);
                }
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The tool exited before reading all input; its exit code and stderr say why.
            }
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
    }
}
