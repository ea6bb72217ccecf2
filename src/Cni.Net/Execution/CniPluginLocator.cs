using Cni.Net.Spec;

namespace Cni.Net.Execution;

/// <summary>
/// Finds a plugin binary by its config <c>type</c> in an ordered list of directories (CNI_PATH, cni-bin-dir): the
/// first directory holding an executable file of that name wins.
/// </summary>
internal static class CniPluginLocator
{
    public static string Find(string type, IReadOnlyList<string> directories)
    {
        ValidateType(type);
        foreach (string dir in directories)
        {
            if (string.IsNullOrEmpty(dir))
            {
                continue;
            }
            string candidate = Path.Combine(dir, type);
            if (IsExecutableFile(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }
        // libcni's "failed to find plugin" first (what callers grep for), then the path that was searched.
        string path = directories.Count == 0 ? "empty" : string.Join(':', directories);
        throw new CniException(CniErrorCode.InvalidNetworkConfig,
            $"failed to find plugin \"{type}\": not found in CNI_PATH ({path})", null,
            new FileNotFoundException($"no executable \"{type}\" in {path}", type));
    }

    /// <summary>A <c>type</c> is a bare file name: no path separator, no <c>..</c>, not empty.</summary>
    public static void ValidateType(string type)
    {
        if (string.IsNullOrEmpty(type) || type.Contains('/', StringComparison.Ordinal) || type == "." ||
            type.Contains("..", StringComparison.Ordinal) || type.Contains('\0', StringComparison.Ordinal))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"invalid plugin type \"{type}\": it must be a file name without a path separator or \"..\"");
        }
    }

    private static bool IsExecutableFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return false;
            }
            UnixFileMode mode = info.UnixFileMode;
            return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
