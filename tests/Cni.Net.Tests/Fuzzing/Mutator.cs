using System.Text;

namespace Cni.Net.Tests.Fuzzing;

/// <summary>
/// A deterministic mutation engine in the manner of libFuzzer's default mutators: bit flips, byte sets, interesting
/// integers (little endian, as netlink lays them out), truncation, duplication and erasure of ranges, splicing with
/// another seed, and for JSON inputs the insertion of tokens that reach deeper branches (other types, case variants,
/// huge numbers, escapes). Same seed, same inputs.
/// </summary>
internal sealed class Mutator(int seed, IReadOnlyList<byte[]> corpus, bool json)
{
    private static readonly byte[][] s_tokens =
    [
        .. new[]
        {
            "null", "true", "false", "0", "-1", "1e309", "18446744073709551616", "\"\"", "[]", "{}", "\"\\u0000\"",
            "\"\\ud800\"", "\"cniVersion\"", "\"CNIVERSION\"", "\"plugins\"", "\"type\"", "\"name\"", "\"ipam\"",
            "\"prevResult\"", "\"ips\"", "\"interfaces\"", "\"routes\"", "\"dns\"", "\"address\"", "\"gateway\"",
            "\"10.0.0.1/24\"", "\"::1/128\"", "\"1.1.0\"", "\"0.4.0\"", "\"9.9.9\"", ",", ":", "\"", "\\", "{\"a\":", "[[[[[[[[",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    private static readonly uint[] s_interesting = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

    private readonly Random _random = new(seed);
    private readonly byte[] _buffer = new byte[64 * 1024];

    /// <summary>The next input: a seed with one to eight mutations stacked.</summary>
    public ReadOnlySpan<byte> Next()
    {
        byte[] start = corpus[_random.Next(corpus.Count)];
        int length = Math.Min(start.Length, _buffer.Length);
        start.AsSpan(0, length).CopyTo(_buffer);
        int count = _random.Next(1, 9);
        for (int i = 0; i < count; i++)
        {
            length = MutateOnce(length);
        }
        return _buffer.AsSpan(0, length);
    }

    private int MutateOnce(int length)
    {
        int kinds = json ? 9 : 8;
        switch (_random.Next(kinds))
        {
            case 0 when length > 0:
                _buffer[_random.Next(length)] ^= (byte)(1 << _random.Next(8));
                return length;
            case 1 when length > 0:
                _buffer[_random.Next(length)] = (byte)_random.Next(256);
                return length;
            case 2 when length >= 4:
            {
                int at = _random.Next(length - 3);
                uint v = s_interesting[_random.Next(s_interesting.Length)];
                if (_random.Next(2) == 0)
                {
                    BitConverter.TryWriteBytes(_buffer.AsSpan(at, 4), v);
                }
                else
                {
                    BitConverter.TryWriteBytes(_buffer.AsSpan(at, 2), (ushort)v);
                }
                return length;
            }
            case 3:
                return _random.Next(length + 1); // truncate
            case 4 when length > 1:
            {
                // erase a range
                int from = _random.Next(length);
                int n = _random.Next(1, Math.Min(32, length - from) + 1);
                _buffer.AsSpan(from + n, length - from - n).CopyTo(_buffer.AsSpan(from));
                return length - n;
            }
            case 5 when length > 0:
            {
                // duplicate a range in place
                int from = _random.Next(length);
                int n = Math.Min(_random.Next(1, 64), Math.Min(length - from, _buffer.Length - length));
                _buffer.AsSpan(from, length - from).CopyTo(_buffer.AsSpan(from + n));
                return length + n;
            }
            case 6:
            {
                // splice: the tail of another seed from a random point
                byte[] other = corpus[_random.Next(corpus.Count)];
                if (other.Length == 0)
                {
                    return length;
                }
                int at = _random.Next(length + 1);
                int from = _random.Next(other.Length);
                int n = Math.Min(other.Length - from, _buffer.Length - at);
                other.AsSpan(from, n).CopyTo(_buffer.AsSpan(at));
                return at + n;
            }
            case 7 when length > 0:
            {
                // an interesting byte
                _buffer[_random.Next(length)] = (byte)s_interesting[_random.Next(8)];
                return length;
            }
            case 8:
            {
                // a JSON token inserted at a random point
                byte[] token = s_tokens[_random.Next(s_tokens.Length)];
                int at = _random.Next(length + 1);
                if (length + token.Length > _buffer.Length)
                {
                    return length;
                }
                _buffer.AsSpan(at, length - at).CopyTo(_buffer.AsSpan(at + token.Length));
                token.CopyTo(_buffer, at);
                return length + token.Length;
            }
            default:
                return length;
        }
    }
}
