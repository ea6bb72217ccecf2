using System.Runtime.InteropServices;
using System.Text;

namespace Cni.Net.Interop;

/// <summary>A program's path, argv and envp as NUL-terminated UTF-8 in one native block.</summary>
internal sealed unsafe class NativeSpawnArguments : IDisposable
{
    private readonly byte* _block;

    /// <param name="path">The executable.</param>
    /// <param name="arguments">argv after argv[0], which is <paramref name="path"/> (as libcni passes it).</param>
    /// <param name="environment">The complete environment as <c>NAME=value</c> strings.</param>
    /// <exception cref="ArgumentException">The path, an argument or an environment entry holds a NUL character.</exception>
    public NativeSpawnArguments(string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment)
    {
        int argc = 1 + arguments.Count;
        int pointers = argc + 1 + environment.Count + 1;
        nuint bytes = (nuint)(pointers * sizeof(byte*)) + (nuint)(Encoding.UTF8.GetByteCount(path) + 1);
        foreach (string a in arguments)
        {
            bytes += (nuint)(Encoding.UTF8.GetByteCount(a) + 1);
        }
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
            for (int i = 0; i < arguments.Count; i++)
            {
                table[1 + i] = cursor;
                cursor = Put(arguments[i], cursor, end);
            }
            table[argc] = null;
            Envp = table + argc + 1;
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
            throw new ArgumentException("paths, arguments and environment entries must not contain NUL characters");
        }
        int n = Encoding.UTF8.GetBytes(s, new Span<byte>(cursor, (int)(end - cursor)));
        cursor[n] = 0;
        return cursor + n + 1;
    }
}
