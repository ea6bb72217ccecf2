using System.Text;
using static Tmds.Linux.LibC;

namespace Cni.Net.Execution;

/// <summary>fsync of a directory, so that a rename inside it survives a crash (File APIs cannot open directories).</summary>
internal static class DirectorySync
{
    public static unsafe void Flush(string directory)
    {
        byte[] path = Encoding.UTF8.GetBytes(directory + "\0");
        fixed (byte* p = path)
        {
            int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0)
            {
                return;
            }
            _ = fsync(fd);
            _ = close(fd);
        }
    }
}
