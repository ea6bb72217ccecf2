namespace Cni.Net.Netlink;

/// <summary>
/// <c>nlmsg_flags</c> (linux/netlink.h). The kernel reuses bits 0x100–0x800 with a meaning that depends on the
/// request kind (GET, NEW, DELETE, ACK), so some members share a value on purpose.
/// </summary>
[Flags]
#pragma warning disable CA1711 // nlmsg_flags: the kernel's own name for these bits
#pragma warning disable CA1069 // the kernel overloads these bits per request kind; the duplicates are its names
public enum NetlinkMessageFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>NLM_F_REQUEST: a request (set on every message sent to the kernel).</summary>
    Request = 0x1,

    /// <summary>NLM_F_MULTI: part of a multipart reply ended by NLMSG_DONE.</summary>
    Multi = 0x2,

    /// <summary>NLM_F_ACK: reply with an acknowledgement (an NLMSG_ERROR with error 0 on success).</summary>
    Ack = 0x4,

    /// <summary>NLM_F_ECHO: echo this request back.</summary>
    Echo = 0x8,

    /// <summary>NLM_F_DUMP_INTR: the dump was inconsistent because the data changed while it was produced.</summary>
    DumpInterrupted = 0x10,

    /// <summary>NLM_F_DUMP_FILTERED: the kernel filtered the dump as the request asked.</summary>
    DumpFiltered = 0x20,

    /// <summary>NLM_F_ROOT (GET): return the whole table.</summary>
    Root = 0x100,

    /// <summary>NLM_F_MATCH (GET): return all matching entries.</summary>
    Match = 0x200,

    /// <summary>NLM_F_ATOMIC (GET): an atomic snapshot.</summary>
    Atomic = 0x400,

    /// <summary>NLM_F_DUMP (GET): Root | Match.</summary>
    Dump = Root | Match,

    /// <summary>NLM_F_REPLACE (NEW): replace an existing object.</summary>
    Replace = 0x100,

    /// <summary>NLM_F_EXCL (NEW): fail with EEXIST when the object exists.</summary>
    Excl = 0x200,

    /// <summary>NLM_F_CREATE (NEW): create the object when it does not exist.</summary>
    Create = 0x400,

    /// <summary>NLM_F_APPEND (NEW): add at the end of the list.</summary>
    Append = 0x800,

    /// <summary>NLM_F_CAPPED (ACK): the request was not copied into the acknowledgement.</summary>
    Capped = 0x100,

    /// <summary>NLM_F_ACK_TLVS (ACK): extended-ack attributes follow.</summary>
    AckTlvs = 0x200,
}
#pragma warning restore CA1069
#pragma warning restore CA1711
