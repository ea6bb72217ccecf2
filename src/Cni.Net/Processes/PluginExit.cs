namespace Cni.Net.Processes;

/// <summary>How a plugin process ended: an exit code, or the signal that killed it.</summary>
internal readonly record struct PluginExit(int ExitCode, int Signal)
{
    public bool Succeeded => Signal == 0 && ExitCode == 0;

    public override string ToString() => Signal != 0 ? $"killed by signal {Signal}" : $"exit code {ExitCode}";
}

/// <summary>
/// Interprets what a plugin wrote while its stdout buffer is still alive (the sequence is only valid during the call),
/// so results and errors are parsed straight from the pipe's segments.
/// </summary>
internal delegate T PluginOutputHandler<T>(PluginExit exit, System.Buffers.ReadOnlySequence<byte> stdout, string stderr);
