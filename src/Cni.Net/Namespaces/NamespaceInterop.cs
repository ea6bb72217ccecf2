using System.Runtime.InteropServices;
using Cni.Net.Interop;

namespace Cni.Net.Namespaces;

/// <summary>Turns a failed system call into an <see cref="IOException"/> that names the call, the path and the errno.</summary>
internal static class NamespaceErrors
{
    public static IOException Io(string call, string path, int errno) =>
        new($"{call}({path}): {Errno.Describe(errno)} ({Errno.Name(errno)})", errno);

    public static IOException Last(string call, string path) => Io(call, path, Marshal.GetLastPInvokeError());
}
