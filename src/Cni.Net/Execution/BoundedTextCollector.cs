using System.Text;

namespace Cni.Net.Execution;

/// <summary>Keeps the first bytes of a stream (a plugin's stderr) up to a limit and counts what it dropped.</summary>
internal sealed class BoundedTextCollector
{
    private readonly byte[] _buffer;
    private readonly Lock _gate = new();
    private int _length;
    private long _dropped;

    public BoundedTextCollector(int limit) => _buffer = new byte[limit];

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            int take = Math.Min(data.Length, _buffer.Length - _length);
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
