namespace Cni.Net.Netfilter;

/// <summary>A terminal verdict: the built-in targets and the policies of built-in chains.</summary>
public enum NetfilterVerdict
{
    /// <summary>Let the packet through.</summary>
    Accept,

    /// <summary>Discard the packet.</summary>
    Drop,

    /// <summary>Return to the calling chain (not valid as a policy).</summary>
    Return,
}
