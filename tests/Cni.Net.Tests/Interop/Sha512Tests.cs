using System.Text;
using Cni.Net.Interop;

namespace Cni.Net.Tests.Interop;

public class Sha512Tests
{
    [Theory]
    // FIPS 180-4 examples (one block, two blocks) and the empty message.
    [InlineData("abc",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")]
    [InlineData("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909")]
    [InlineData("",
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")]
    public void HashData_StandardVectors_MatchPublishedDigests(string message, string expectedHex)
    {
        Assert.Equal(expectedHex, Convert.ToHexStringLower(Sha512.HashData(Encoding.ASCII.GetBytes(message))));
    }

    [Fact]
    public void HashData_EveryLengthAroundTheBlockAndPaddingEdges_MatchesTheSystemImplementation()
    {
        // 111/112 and 239/240 bytes are where the length field stops fitting the last block; 128/256 are block ends.
        var random = new Random(1234);
        for (int length = 0; length <= 300; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(System.Security.Cryptography.SHA512.HashData(data), Sha512.HashData(data));
        }
    }

    [Fact]
    public void HashData_MillionA_MatchesPublishedDigest()
    {
        byte[] data = new byte[1_000_000];
        data.AsSpan().Fill((byte)'a');
        Assert.Equal(
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
            Convert.ToHexStringLower(Sha512.HashData(data)));
    }

    [Fact]
    public void HashData_ShortDestination_Throws()
    {
        Assert.Throws<ArgumentException>(() => Sha512.HashData([1, 2, 3], new byte[63]));
    }

    [Fact]
    public void HashData_ReferenceChainNameExample_IsUnchanged()
    {
        // compat.md: net "demo", id "ctr-abc123" → CNI-252f4939ab2087ea53803952.
        Assert.Equal("252f4939ab2087ea53803952", Convert.ToHexStringLower(Sha512.HashData("democtr-abc123"u8))[..24]);
    }
}
