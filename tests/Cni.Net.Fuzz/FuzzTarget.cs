namespace Cni.Net.Fuzz;

/// <summary>Runs one input through a reader. Returning or throwing an expected error is a pass; anything else escaping is a crash.</summary>
internal delegate void FuzzInput(ReadOnlySpan<byte> data);

/// <summary>One fuzz target: a reader of what a kernel or a runtime hands the library, with its seed corpus.</summary>
/// <param name="Name">The name eng/fuzz.sh passes on the command line.</param>
/// <param name="Run">The target itself.</param>
/// <param name="Seeds">The seed corpus (golden vectors of the unit tests); every seed must pass.</param>
/// <param name="Json">Whether the input is JSON (eng/fuzz.sh then gives afl-fuzz a JSON dictionary).</param>
internal sealed record FuzzTarget(string Name, FuzzInput Run, Func<IReadOnlyList<byte[]>> Seeds, bool Json);
