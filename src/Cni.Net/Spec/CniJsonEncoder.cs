using System.Buffers;
using System.Text.Encodings.Web;

namespace Cni.Net.Spec;

/// <summary>
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>, built only when a string needs escaping. Building it
/// (or any built-in encoder) walks the Unicode tables — a measurable part of a plugin's start-up — while the strings
/// a CNI plugin writes (addresses, names, paths) are plain ASCII that needs no escaping. Plain ASCII is passed through
/// here; from the first byte that may need escaping, the relaxed encoder does the work, so the output is identical.
/// </summary>
internal sealed class CniJsonEncoder : JavaScriptEncoder
{
    public static readonly CniJsonEncoder Instance = new();

    private CniJsonEncoder()
    {
    }

    private static JavaScriptEncoder Relaxed => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    // What the relaxed encoder writes for one character at most (\uXXXX); asked only by TextEncoder's own helpers.
    public override int MaxOutputCharactersPerInputCharacter => Relaxed.MaxOutputCharactersPerInputCharacter;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (int i = 0; i < textLength; i++)
        {
            if (MayNeedEscaping(text[i]))
            {
                // The relaxed encoder decides from here; an early answer costs nothing, as it copies what needs no escaping.
                return i;
            }
        }
        return -1;
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        for (int i = 0; i < utf8Text.Length; i++)
        {
            if (MayNeedEscaping(utf8Text[i]))
            {
                return i;
            }
        }
        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten) =>
        Relaxed.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);

    public override bool WillEncode(int unicodeScalar) => Relaxed.WillEncode(unicodeScalar);

    public override OperationStatus Encode(ReadOnlySpan<char> source, Span<char> destination, out int charsConsumed, out int charsWritten,
        bool isFinalBlock = true) =>
        Relaxed.Encode(source, destination, out charsConsumed, out charsWritten, isFinalBlock);

    public override OperationStatus EncodeUtf8(ReadOnlySpan<byte> utf8Source, Span<byte> utf8Destination, out int bytesConsumed,
        out int bytesWritten, bool isFinalBlock = true) =>
        Relaxed.EncodeUtf8(utf8Source, utf8Destination, out bytesConsumed, out bytesWritten, isFinalBlock);

    // Control characters, the quote, the backslash, DEL and everything beyond ASCII go to the relaxed encoder; the
    // rest of ASCII it never escapes (it allows HTML-sensitive characters such as < > & ' +).
    private static bool MayNeedEscaping(int c) => c < 0x20 || c == '"' || c == '\\' || c >= 0x7F;
}
