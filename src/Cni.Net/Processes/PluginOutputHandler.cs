using System.Buffers;
using Cni.Net.Interop;

namespace Cni.Net.Processes;

/// <summary>
/// Interprets what a plugin wrote while its stdout buffer is still alive (the sequence is only valid during the call),
/// so results and errors are parsed straight from the buffer.
/// </summary>
internal delegate T PluginOutputHandler<T>(ChildExit exit, ReadOnlySequence<byte> stdout, string stderr);
