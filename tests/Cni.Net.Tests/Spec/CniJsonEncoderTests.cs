using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class CniJsonEncoderTests
{
    private static string Write(JavaScriptEncoder encoder, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = encoder, SkipValidation = true }))
        {
            write(writer);
        }
        return Convert.ToHexString(buffer.WrittenSpan);
    }

    private static void AssertSameAsRelaxed(Action<Utf8JsonWriter> write)
    {
        string expected, actual;
        try
        {
            expected = Write(JavaScriptEncoder.UnsafeRelaxedJsonEscaping, write);
        }
        catch (ArgumentException e)
        {
            Assert.Equal(e.GetType(), Assert.ThrowsAny<ArgumentException>(() => Write(CniJsonEncoder.Instance, write)).GetType());
            return;
        }
        actual = Write(CniJsonEncoder.Instance, write);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void EveryCharacterOfTheFirstPlanesStart_AsValueAndName_EscapedExactlyAsTheRelaxedEncoder()
    {
        for (int c = 0; c < 0x800; c++)
        {
            string s = "a" + (char)c + "z";
            AssertSameAsRelaxed(w => w.WriteStringValue(s));
            AssertSameAsRelaxed(w =>
            {
                w.WriteStartObject();
                w.WriteString(s, s);
                w.WriteEndObject();
            });
            AssertSameAsRelaxed(w => w.WriteStringValue(Encoding.UTF8.GetBytes(s)));
        }
    }

    [Theory]
    [InlineData("10.22.0.5/16")]
    [InlineData("/run/netns/cni-1234")]
    [InlineData("<script>&'+`")]
    [InlineData("tab\there \"quoted\" back\\slash")]
    [InlineData("café ü 中文 😀 \u2028\u2029 \uFEFF \u00AD")]
    [InlineData("lone \uD800 high and \uDC00 low")]
    [InlineData("")]
    public void Strings_WrittenExactlyAsTheRelaxedEncoderWritesThem(string s)
    {
        AssertSameAsRelaxed(w => w.WriteStringValue(s));
        AssertSameAsRelaxed(w => w.WriteStringValue(Encoding.UTF8.GetBytes(s)));
        AssertSameAsRelaxed(w =>
        {
            w.WriteStartObject();
            w.WriteString(s, s);
            w.WriteEndObject();
        });
    }

    [Fact]
    public void InvalidUtf8_HandledAsTheRelaxedEncoderHandlesIt()
    {
        AssertSameAsRelaxed(w => w.WriteStringValue(new byte[] { 0x61, 0xC3, 0x28, 0x62 }));
        AssertSameAsRelaxed(w => w.WriteStringValue(new byte[] { 0x61, 0xFF, 0x62 }));
    }

    [Fact]
    public void RandomText_WrittenExactlyAsTheRelaxedEncoderWritesIt()
    {
        var random = new Random(42);
        for (int i = 0; i < 2000; i++)
        {
            var sb = new StringBuilder();
            int length = random.Next(0, 40);
            for (int j = 0; j < length; j++)
            {
                sb.Append(random.Next(4) switch
                {
                    0 => (char)random.Next(0, 0x80),
                    1 => (char)random.Next(0x80, 0x800),
                    2 => (char)random.Next(0x800, 0xD800),
                    _ => (char)random.Next(0xE000, 0x10000),
                });
            }
            string s = sb.ToString();
            AssertSameAsRelaxed(w => w.WriteStringValue(s));
            AssertSameAsRelaxed(w => w.WriteStringValue(Encoding.UTF8.GetBytes(s)));
        }
    }

    [Fact]
    public void CniResult_WrittenWithTheSharedOptions_UsesThisEncoder()
    {
        Assert.Same(CniJsonEncoder.Instance, CniJson.WriterOptions.Encoder);
        Assert.Same(CniJsonEncoder.Instance, CniJson.IndentedWriterOptions.Encoder);
    }
}
