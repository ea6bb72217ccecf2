namespace Cni.Net.Processes;

/// <summary>Everything needed to run one plugin binary once: path, full environment, stdin bytes and limits.</summary>
internal sealed class PluginLaunch
{
    public PluginLaunch(string pluginPath, string pluginType, IReadOnlyList<string> environment, ReadOnlyMemory<byte> stdin,
        TimeSpan timeout, int maxOutputBytes)
    {
        PluginPath = pluginPath;
        PluginType = pluginType;
        Environment = environment;
        Stdin = stdin;
        Timeout = timeout;
        MaxOutputBytes = maxOutputBytes;
    }

    /// <summary>Absolute path of the executable; also argv[0], as libcni passes it.</summary>
    public string PluginPath { get; }

    /// <summary>The config's <c>type</c>, used in messages.</summary>
    public string PluginType { get; }

    /// <summary>The complete environment as <c>NAME=value</c> strings.</summary>
    public IReadOnlyList<string> Environment { get; }

    public ReadOnlyMemory<byte> Stdin { get; }

    public TimeSpan Timeout { get; }

    public int MaxOutputBytes { get; }
}
