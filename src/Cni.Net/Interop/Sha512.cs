using System.Buffers.Binary;
using System.Numerics;

namespace Cni.Net.Interop;

/// <summary>
/// SHA-512 (FIPS 180-4) in managed code, for the short names the reference plugins derive from a network name and a
/// container id (chains, the ifb device). <see cref="System.Security.Cryptography.SHA512"/> would load libssl and
/// libcrypto and read the OpenSSL configuration on first use — milliseconds of a plugin's whole run, for hashing
/// a few dozen bytes. Not for secrets: the names are public and nothing here needs constant time.
/// </summary>
internal static class Sha512
{
    public const int HashSize = 64;

    private const int BlockSize = 128;

    // The first 64 bits of the fractional parts of the square roots of the first 8 primes.
    private static ReadOnlySpan<ulong> InitialHash =>
    [
        0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
        0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
    ];

    // The first 64 bits of the fractional parts of the cube roots of the first 80 primes.
    private static ReadOnlySpan<ulong> RoundConstants =>
    [
        0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
        0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
        0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
        0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
        0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
        0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
        0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
        0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
        0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
        0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
        0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
        0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
        0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
        0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
        0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
        0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
        0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
        0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
        0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
        0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
    ];

    /// <summary>The digest of <paramref name="data"/>.</summary>
    public static byte[] HashData(ReadOnlySpan<byte> data)
    {
        byte[] hash = new byte[HashSize];
        HashData(data, hash);
        return hash;
    }

    /// <summary>Writes the digest of <paramref name="data"/> to the first 64 bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 64 bytes.</exception>
    public static void HashData(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < HashSize)
        {
            throw new ArgumentException("the destination holds fewer than 64 bytes", nameof(destination));
        }
        Span<ulong> state = stackalloc ulong[8];
        InitialHash.CopyTo(state);
        Span<ulong> schedule = stackalloc ulong[80];

        int full = data.Length - data.Length % BlockSize;
        for (int offset = 0; offset < full; offset += BlockSize)
        {
            Compress(state, schedule, data.Slice(offset, BlockSize));
        }

        // The tail, the 0x80 marker and the 128-bit big-endian length in bits fill one or two last blocks.
        Span<byte> last = stackalloc byte[2 * BlockSize];
        last.Clear();
        ReadOnlySpan<byte> tail = data[full..];
        tail.CopyTo(last);
        last[tail.Length] = 0x80;
        int lastLength = tail.Length + 1 + 16 <= BlockSize ? BlockSize : 2 * BlockSize;
        UInt128 bits = (UInt128)(ulong)data.Length << 3;
        BinaryPrimitives.WriteUInt128BigEndian(last.Slice(lastLength - 16, 16), bits);
        for (int offset = 0; offset < lastLength; offset += BlockSize)
        {
            Compress(state, schedule, last.Slice(offset, BlockSize));
        }

        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(i * 8, 8), state[i]);
        }
    }

    private static void Compress(Span<ulong> state, Span<ulong> w, ReadOnlySpan<byte> block)
    {
        for (int t = 0; t < 16; t++)
        {
            w[t] = BinaryPrimitives.ReadUInt64BigEndian(block.Slice(t * 8, 8));
        }
        for (int t = 16; t < 80; t++)
        {
            ulong s0 = BitOperations.RotateRight(w[t - 15], 1) ^ BitOperations.RotateRight(w[t - 15], 8) ^ (w[t - 15] >> 7);
            ulong s1 = BitOperations.RotateRight(w[t - 2], 19) ^ BitOperations.RotateRight(w[t - 2], 61) ^ (w[t - 2] >> 6);
            w[t] = unchecked(w[t - 16] + s0 + w[t - 7] + s1);
        }

        ulong a = state[0], b = state[1], c = state[2], d = state[3];
        ulong e = state[4], f = state[5], g = state[6], h = state[7];
        ReadOnlySpan<ulong> k = RoundConstants;
        for (int t = 0; t < 80; t++)
        {
            ulong sum1 = BitOperations.RotateRight(e, 14) ^ BitOperations.RotateRight(e, 18) ^ BitOperations.RotateRight(e, 41);
            ulong choose = (e & f) ^ (~e & g);
            ulong t1 = unchecked(h + sum1 + choose + k[t] + w[t]);
            ulong sum0 = BitOperations.RotateRight(a, 28) ^ BitOperations.RotateRight(a, 34) ^ BitOperations.RotateRight(a, 39);
            ulong majority = (a & b) ^ (a & c) ^ (b & c);
            ulong t2 = unchecked(sum0 + majority);
            h = g;
            g = f;
            f = e;
            e = unchecked(d + t1);
            d = c;
            c = b;
            b = a;
            a = unchecked(t1 + t2);
        }
        unchecked
        {
            state[0] += a;
            state[1] += b;
            state[2] += c;
            state[3] += d;
            state[4] += e;
            state[5] += f;
            state[6] += g;
            state[7] += h;
        }
    }
}
