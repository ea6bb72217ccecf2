namespace Cni.Net.Interop;

/// <summary>How a child process ended: an exit code, or the signal that killed it.</summary>
internal readonly record struct ChildExit(int ExitCode, int Signal)
{
    public bool Succeeded => Signal == 0 && ExitCode == 0;

    public override string ToString() => Signal != 0 ? $"killed by signal {Signal}" : $"exit code {ExitCode}";

    /// <summary>Decodes a waitpid status.</summary>
    internal static ChildExit FromWaitStatus(int status) => ProcessInterop.WIfExited(status)
        ? new ChildExit(ProcessInterop.WExitStatus(status), 0)
        : new ChildExit(-1, ProcessInterop.WTermSig(status));
}
