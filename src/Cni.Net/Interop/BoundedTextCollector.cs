using System.Text;

namespace Cni.Net.Interop;

/// <summary>
/// Keeps the first bytes of a stream (a plugin's stderr) up to a limit and counts what it dropped. The buffer grows
/// with what arrives, so a quiet plugin costs nothing.
/// </summary>
internal sealed class BoundedTextCollector
{
    private readonly int _limit;
    private readonly Lock _gate = new();
    private byte[] _buffer = [];
    private int _length;
    private long _dropped;

    public BoundedTextCollector(int limit) => _limit = limit;

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            int take = Math.Min(data.Length, _limit - _length);
            if (_length + take > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Min(_limit, Math.Max(_length + take, Math.Max(256, _buffer.Length * 2))));
            }
            data[..take].CopyTo(_buffer.AsSpan(_length));
            _length += take;
            _dropped += data.Length - take;
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            string text = Encoding.UTF8.GetString(_buffer, 0, _length);
            return _dropped == 0 ? text : $"{text}… ({_dropped} more bytes dropped)";
        }
    }
}
