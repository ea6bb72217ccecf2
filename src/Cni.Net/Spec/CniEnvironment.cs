using System.Collections;
using System.Text;

namespace Cni.Net.Spec;

/// <summary>
/// The <c>CNI_*</c> variables a runtime passes to a plugin, validated per command as the spec requires:
/// ADD/CHECK need the container id, netns, ifname and path; DEL the container id, ifname and path; GC and STATUS
/// the path; VERSION nothing else.
/// </summary>
public sealed class CniEnvironment
{
    private CniEnvironment(CniCommand command, string? containerId, string? netNs, string? ifName, string? args,
        IReadOnlyList<string> path, CniArgs parsedArgs)
    {
        Command = command;
        ContainerId = containerId;
        NetNs = netNs;
        IfName = ifName;
        Args = args;
        Path = path;
        ParsedArgs = parsedArgs;
    }

    /// <summary><c>CNI_COMMAND</c>.</summary>
    public CniCommand Command { get; }

    /// <summary><c>CNI_CONTAINERID</c>.</summary>
    public string? ContainerId { get; }

    /// <summary><c>CNI_NETNS</c>: path of the network namespace (may be empty for DEL).</summary>
    public string? NetNs { get; }

    /// <summary><c>CNI_IFNAME</c>: the interface to create inside the container.</summary>
    public string? IfName { get; }

    /// <summary><c>CNI_ARGS</c> as given.</summary>
    public string? Args { get; }

    /// <summary><c>CNI_ARGS</c> parsed.</summary>
    public CniArgs ParsedArgs { get; }

    /// <summary><c>CNI_PATH</c> split at <c>:</c> (empty entries dropped).</summary>
    public IReadOnlyList<string> Path { get; }

    /// <summary>Reads and validates the variables from <paramref name="environment"/> (default: this process's).</summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.InvalidEnvironmentVariables"/>, naming the variable
    /// that is missing or invalid.</exception>
    public static CniEnvironment FromEnvironment(IDictionary? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        string? Get(string name) => environment[name] as string;

        string? commandText = Get("CNI_COMMAND");
        CniCommand command = commandText switch
        {
            "ADD" => CniCommand.Add,
            "DEL" => CniCommand.Del,
            "CHECK" => CniCommand.Check,
            "VERSION" => CniCommand.Version,
            "GC" => CniCommand.GC,
            "STATUS" => CniCommand.Status,
            null or "" => throw Invalid("CNI_COMMAND", "is missing"),
            _ => throw Invalid("CNI_COMMAND", $"'{CniJson.Truncate(commandText)}' is not a CNI command (ADD, DEL, CHECK, VERSION, GC, STATUS)"),
        };
        bool attachment = command is CniCommand.Add or CniCommand.Del or CniCommand.Check;

        string? containerId = Get("CNI_CONTAINERID");
        if (attachment && string.IsNullOrEmpty(containerId))
        {
            throw Invalid("CNI_CONTAINERID", "is missing");
        }
        if (!string.IsNullOrEmpty(containerId) && !NetworkConfigList.IsValidName(containerId))
        {
            throw Invalid("CNI_CONTAINERID", $"'{CniJson.Truncate(containerId)}' must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$");
        }

        string? netNs = Get("CNI_NETNS");
        if (command is CniCommand.Add or CniCommand.Check && string.IsNullOrEmpty(netNs))
        {
            throw Invalid("CNI_NETNS", "is missing");
        }

        string? ifName = Get("CNI_IFNAME");
        if (attachment && string.IsNullOrEmpty(ifName))
        {
            throw Invalid("CNI_IFNAME", "is missing");
        }
        if (!string.IsNullOrEmpty(ifName) && ValidateInterfaceName(ifName) is string reason)
        {
            throw Invalid("CNI_IFNAME", reason);
        }

        string? args = Get("CNI_ARGS");
        CniArgs parsedArgs = CniArgs.Parse(args);

        string? pathText = Get("CNI_PATH");
        if (command != CniCommand.Version && string.IsNullOrEmpty(pathText))
        {
            throw Invalid("CNI_PATH", "is missing");
        }
        string[] path = string.IsNullOrEmpty(pathText)
            ? []
            : pathText.Split(':', StringSplitOptions.RemoveEmptyEntries);
        return new CniEnvironment(command, containerId, netNs, ifName, args, path, parsedArgs);
    }

    /// <summary>
    /// Why <paramref name="name"/> is not a valid interface name (empty, longer than 15 bytes, <c>.</c>/<c>..</c>,
    /// or containing <c>/</c>, <c>:</c> or whitespace), or null when it is valid.
    /// </summary>
    internal static string? ValidateInterfaceName(string name)
    {
        if (name.Length == 0)
        {
            return "is empty";
        }
        if (Encoding.UTF8.GetByteCount(name) > 15)
        {
            return $"'{CniJson.Truncate(name)}' is longer than 15 bytes";
        }
        if (name is "." or "..")
        {
            return $"'{name}' is not a valid interface name";
        }
        foreach (char c in name)
        {
            if (c is '/' or ':' || char.IsWhiteSpace(c))
            {
                return $"'{name}' contains '/', ':' or whitespace";
            }
        }
        return null;
    }

    private static CniException Invalid(string variable, string reason) =>
        new(CniErrorCode.InvalidEnvironmentVariables, $"{variable} {reason}");
}
