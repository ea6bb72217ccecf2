using System.Runtime.InteropServices;
using System.Text;

namespace Cni.Net.Processes;

/// <summary>A plugin's path, argv (the path alone) and envp as NUL-terminated UTF-8 in one native block.</summary>
internal sealed unsafe class NativeSpawnArguments : IDisposable
{
    private readonly byte* _block;

    /// <exception cref="ArgumentException">The path or an environment entry holds a NUL character.</exception>
    public NativeSpawnArguments(string path, IReadOnlyList<string> environment)
    {
        int pointers = 2 + environment.Count + 1;
        nuint bytes = (nuint)(pointers * sizeof(byte*)) + (nuint)(Encoding.UTF8.GetByteCount(path) + 1);
        foreach (string e in environment)
        {
            bytes += (nuint)(Encoding.UTF8.GetByteCount(e) + 1);
        }
        _block = (byte*)NativeMemory.AllocZeroed(bytes);
        try
        {
            byte** table = (byte**)_block;
            byte* cursor = _block + pointers * sizeof(byte*);
            byte* end = _block + bytes;
            Path = cursor;
            cursor = Put(path, cursor, end);
            Argv = table;
            table[0] = Path;
            table[1] = null;
            Envp = table + 2;
            for (int i = 0; i < environment.Count; i++)
            {
                Envp[i] = cursor;
                cursor = Put(environment[i], cursor, end);
            }
            Envp[environment.Count] = null;
        }
        catch
        {
            NativeMemory.Free(_block);
            throw;
        }
    }

    public byte* Path { get; }

    public byte** Argv { get; }

    public byte** Envp { get; }

    public void Dispose() => NativeMemory.Free(_block);

    private static byte* Put(string s, byte* cursor, byte* end)
    {
        if (s.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("environment entries and paths must not contain NUL characters");
        }
        int n = Encoding.UTF8.GetBytes(s, new Span<byte>(cursor, (int)(end - cursor)));
        cursor[n] = 0;
        return cursor + n + 1;
    }
}
