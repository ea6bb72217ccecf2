using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Cni.Net.Interop;

/// <summary>
/// The entries of an open directory as <c>getdents64</c> returns them, read into the caller's buffer: each name is a
/// span of the kernel's bytes, NUL included, ready for an <c>*at</c> call on the same directory. No string and no
/// file-system entry object per name, which <c>Directory.EnumerateFiles</c> makes; the host-local store reads every
/// reservation's name this way on every ADD and DEL.
/// </summary>
internal unsafe ref struct DirectoryEntryReader
{
    /// <summary><c>DT_DIR</c>: the entry is a directory.</summary>
    public const byte DirectoryType = 4;

    // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[].
    private const int RecordLengthOffset = 16;
    private const int TypeOffset = 18;
    private const int NameOffset = 19;

    private readonly int _directory;
    private readonly string _path;
    private readonly Span<byte> _buffer;
    private int _length;
    private int _offset;

    /// <summary>A reader of <paramref name="directory"/> (an open descriptor the caller owns) into <paramref name="buffer"/>.</summary>
    /// <param name="directory">The directory's descriptor, opened with <c>O_DIRECTORY</c>.</param>
    /// <param name="path">The directory's path, for error messages.</param>
    /// <param name="buffer">Room for the kernel's records; a few KiB hold a hundred names.</param>
    public DirectoryEntryReader(int directory, string path, Span<byte> buffer)
    {
        _directory = directory;
        _path = path;
        _buffer = buffer;
    }

    /// <summary>The next entry, "." and ".." included.</summary>
    /// <param name="nameWithNul">The name followed by its NUL.</param>
    /// <param name="type">Its <c>d_type</c> (0 when the file system does not say).</param>
    /// <returns>false at the end of the directory.</returns>
    /// <exception cref="IOException">The kernel could not read the directory.</exception>
    public bool TryRead(out ReadOnlySpan<byte> nameWithNul, out byte type)
    {
        if (_offset >= _length && !Fill())
        {
            nameWithNul = default;
            type = 0;
            return false;
        }
        Span<byte> record = _buffer[_offset.._length];
        int recordLength = MemoryMarshal.Read<ushort>(record[RecordLengthOffset..]);
        type = record[TypeOffset];
        ReadOnlySpan<byte> name = record[NameOffset..recordLength];
        nameWithNul = name[..(name.IndexOf((byte)0) + 1)];
        _offset += recordLength;
        return true;
    }

    private bool Fill()
    {
        while (true)
        {
            nint n;
            fixed (byte* p = _buffer)
            {
                n = Syscalls.getdents64(_directory, p, (nuint)_buffer.Length);
            }
            if (n >= 0)
            {
                _length = (int)n;
                _offset = 0;
                return n > 0;
            }
            int error = Marshal.GetLastPInvokeError();
            if (error != LibC.EINTR)
            {
                throw new IOException($"cannot read the directory {_path}: {Marshal.GetPInvokeErrorMessage(error)}", error);
            }
        }
    }
}
