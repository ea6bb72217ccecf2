namespace Cni.Net.Ipam;

/// <summary>The failures of allocation, in one place so that their codes and wording stay consistent.</summary>
internal static class IpamErrors
{
    /// <summary>Plugin-specific CNI code: a range set has no free address left.</summary>
    public const uint NoAddressAvailable = 100;

    /// <summary>Plugin-specific CNI code: a requested address is reserved by someone else.</summary>
    public const uint RequestedAddressInUse = 101;

    /// <summary>Plugin-specific CNI code: this container id and interface already hold an address in the set.</summary>
    public const uint DuplicateAllocation = 102;

    public static Exception Create(uint code, string message) => new InvalidOperationException(message);

    public static Exception InvalidConfig(string message) => new ArgumentException(message);
}
