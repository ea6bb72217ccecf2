using Cni.Net.Spec;

namespace Cni.Net.Ipam;

/// <summary>
/// The allocation failures that are not caller mistakes, as <see cref="CniException"/>s with plugin-specific codes
/// (the spec reserves 1–99), in one place so that codes and wording stay consistent.
/// </summary>
internal static class IpamErrors
{
    /// <summary>A range set has no free address left.</summary>
    public const CniErrorCode NoAddressAvailable = (CniErrorCode)100;

    /// <summary>A requested address is reserved by someone else.</summary>
    public const CniErrorCode RequestedAddressInUse = (CniErrorCode)101;

    /// <summary>This container id and interface already hold an address in the set.</summary>
    public const CniErrorCode DuplicateAllocation = (CniErrorCode)102;

    public static CniException Create(CniErrorCode code, string message) => new(code, message);
}
