using System.Globalization;
using System.Runtime.InteropServices;
using Cni.Net.Fuzz;
using SharpFuzz;

// Cni.Net.Fuzz TARGET             run TARGET under afl-fuzz (SharpFuzz's fork server; input on stdin)
// Cni.Net.Fuzz seeds TARGET DIR   write TARGET's seed corpus into DIR (every seed is run first: each must pass)
// Cni.Net.Fuzz replay TARGET FILE…  run inputs once, without afl-fuzz, and print what escaped (crash triage)
// Cni.Net.Fuzz list               the targets' names
if (args is not [_])
{
    // Outside afl-fuzz the instrumented Cni.Net.dll still records coverage: give it a map to write into.
    UseLocalCoverageMap();
}
if (args is ["list"])
{
    foreach (FuzzTarget t in FuzzTargets.All)
    {
        Console.WriteLine(t.Json ? $"{t.Name} json" : t.Name);
    }
    return 0;
}
if (args is ["seeds", string seedTarget, string dir])
{
    FuzzTarget target = Find(seedTarget);
    Directory.CreateDirectory(dir);
    IReadOnlyList<byte[]> seeds = target.Seeds();
    for (int i = 0; i < seeds.Count; i++)
    {
        target.Run(seeds[i]);
        File.WriteAllBytes(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"seed-{i:D3}")), seeds[i]);
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target.Name}: {seeds.Count} seeds in {dir}"));
    return 0;
}
if (args is ["replay", string replayTarget, .. var files])
{
    FuzzTarget target = Find(replayTarget);
    int crashes = 0;
    foreach (string file in files)
    {
        try
        {
            target.Run(File.ReadAllBytes(file));
            Console.WriteLine($"{file}: ok");
        }
        catch (Exception e)
        {
            crashes++;
            Console.WriteLine($"{file}: CRASH {e}");
        }
    }
    return crashes == 0 ? 0 : 1;
}
if (args is [string name])
{
    FuzzTarget target = Find(name);
    byte[] buffer = new byte[1 << 20];
    Fuzzer.Run(stream =>
    {
        int length = 0;
        int n;
        while (length < buffer.Length && (n = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += n;
        }
        target.Run(buffer.AsSpan(0, length));
    });
    return 0;
}
Console.Error.WriteLine("usage: Cni.Net.Fuzz list | TARGET | seeds TARGET DIR | replay TARGET FILE...");
return 2;

static unsafe void UseLocalCoverageMap() => SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16);

static FuzzTarget Find(string name) =>
    FuzzTargets.Find(name) ?? throw new ArgumentException($"no fuzz target '{name}' (see 'list')", nameof(name));
