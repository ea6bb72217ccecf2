using System.Buffers.Binary;
using Cni.Net.Netlink;

namespace Cni.Net.TrafficControl;

/// <summary>A queueing discipline and its options, as sent in RTM_NEWQDISC. The kinds are the subclasses.</summary>
public abstract record TcQdisc
{
    private protected TcQdisc()
    {
    }

    /// <summary>The kernel's name for the kind (TCA_KIND), such as <c>tbf</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>Writes TCA_OPTIONS (or nothing when the qdisc has none).</summary>
    internal abstract void WriteOptions(ref NetlinkWriter writer);
}

/// <summary>Token-bucket filter: shapes to a rate with a burst, queueing up to a limit (no rate table is sent).</summary>
/// <param name="Parameters">Rate, burst, buffer and limit, e.g. from <see cref="TbfParameters.FromBandwidth"/>.</param>
public sealed record TbfQdisc(TbfParameters Parameters) : TcQdisc
{
    /// <inheritdoc/>
    public override string Kind => "tbf";

    /// <summary>A peak rate with its one-packet bucket, or null for none.</summary>
    public TbfPeak? Peak { get; init; }

    /// <summary>
    /// Rate specs with the rate alone (link layer unspecified) as the reference bandwidth plugin writes them, so that
    /// a pod shaped by either looks the same in <c>tc -d</c>; otherwise as tc writes them.
    /// </summary>
    internal bool ReferenceRateSpec { get; init; }

    internal override void WriteOptions(ref NetlinkWriter writer)
    {
        NestedScope options = writer.BeginNested(TcConstants.TCA_OPTIONS, setNestedFlag: false);
        // struct tc_tbf_qopt { tc_ratespec rate, peakrate; u32 limit, buffer, mtu; }
        Span<byte> p = writer.ReserveAttribute(TcConstants.TCA_TBF_PARMS, 36);
        TcRateSpec.Write(p, Parameters.RateBytesPerSecond, ReferenceRateSpec);
        TcRateSpec.Write(p[12..], Peak?.RateBytesPerSecond ?? 0, ReferenceRateSpec);
        BinaryPrimitives.WriteUInt32LittleEndian(p[24..], Parameters.LimitBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(p[28..], Parameters.BufferTicks);
        BinaryPrimitives.WriteUInt32LittleEndian(p[32..], Peak?.MtuTicks ?? 0);
        // The burst in bytes: the kernel derives the bucket from it instead of from a tick count that may saturate.
        writer.WriteUInt32(TcConstants.TCA_TBF_BURST, Parameters.BurstBytes);
        if (Parameters.RateBytesPerSecond > uint.MaxValue)
        {
            writer.WriteUInt64(TcConstants.TCA_TBF_RATE64, Parameters.RateBytesPerSecond);
        }
        if (Peak is TbfPeak peak)
        {
            writer.WriteUInt32(TcConstants.TCA_TBF_PBURST, peak.MtuBytes);
            if (peak.RateBytesPerSecond > uint.MaxValue)
            {
                writer.WriteUInt64(TcConstants.TCA_TBF_PRATE64, peak.RateBytesPerSecond);
            }
        }
        writer.EndNested(options);
    }
}

/// <summary>The ingress qdisc (handle <c>ffff:</c>, parent <see cref="TcHandle.Ingress"/>): a hook for ingress filters.</summary>
public sealed record IngressQdisc : TcQdisc
{
    /// <inheritdoc/>
    public override string Kind => "ingress";

    internal override void WriteOptions(ref NetlinkWriter writer)
    {
    }
}

/// <summary>clsact (handle <c>ffff:</c>, parent <see cref="TcHandle.Ingress"/>): ingress and egress filter hooks.</summary>
public sealed record ClsactQdisc : TcQdisc
{
    /// <inheritdoc/>
    public override string Kind => "clsact";

    internal override void WriteOptions(ref NetlinkWriter writer)
    {
    }
}

/// <summary>Hierarchy token bucket: classes (<see cref="HtbClass"/>) with guaranteed rates and ceilings.</summary>
/// <param name="DefaultClass">The minor number of the class unclassified traffic goes to (0: sent unshaped).</param>
public sealed record HtbQdisc(ushort DefaultClass) : TcQdisc
{
    /// <inheritdoc/>
    public override string Kind => "htb";

    internal override void WriteOptions(ref NetlinkWriter writer)
    {
        NestedScope options = writer.BeginNested(TcConstants.TCA_OPTIONS, setNestedFlag: false);
        // struct tc_htb_glob { u32 version, rate2quantum, defcls, debug, direct_pkts; }
        Span<byte> g = writer.ReserveAttribute(TcConstants.TCA_HTB_INIT, 20);
        BinaryPrimitives.WriteUInt32LittleEndian(g, 3);
        BinaryPrimitives.WriteUInt32LittleEndian(g[4..], 10);
        BinaryPrimitives.WriteUInt32LittleEndian(g[8..], DefaultClass);
        writer.EndNested(options);
    }
}

/// <summary>Fair queueing with controlled delay, with the kernel's defaults (or a packet limit).</summary>
/// <param name="Limit">The packet limit, or null for the kernel's default.</param>
public sealed record FqCodelQdisc(uint? Limit = null) : TcQdisc
{
    /// <inheritdoc/>
    public override string Kind => "fq_codel";

    internal override void WriteOptions(ref NetlinkWriter writer)
    {
        NestedScope options = writer.BeginNested(TcConstants.TCA_OPTIONS, setNestedFlag: false);
        if (Limit is uint limit)
        {
            writer.WriteUInt32(TcConstants.TCA_FQ_CODEL_LIMIT, limit);
        }
        writer.EndNested(options);
    }
}

/// <summary>A priority scheduler with <paramref name="Bands"/> bands (2 to 16) and tc's default priority map.</summary>
/// <param name="Bands">The number of bands.</param>
public sealed record PrioQdisc(int Bands = 3) : TcQdisc
{
    private static readonly byte[] s_defaultPriomap = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

    /// <summary>The number of bands.</summary>
    public int Bands { get; init; } = Bands is >= 2 and <= 16
        ? Bands
        : throw new ArgumentOutOfRangeException(nameof(Bands), Bands, "prio takes 2 to 16 bands");

    /// <inheritdoc/>
    public override string Kind => "prio";

    internal override void WriteOptions(ref NetlinkWriter writer)
    {
        // tc nests "compat" style: struct tc_prio_qopt first, then an (empty) nested TCA_OPTIONS after it.
        NestedScope options = writer.BeginNested(TcConstants.TCA_OPTIONS, setNestedFlag: false);
        Span<byte> q = stackalloc byte[20];
        BinaryPrimitives.WriteInt32LittleEndian(q, Bands);
        s_defaultPriomap.CopyTo(q[4..]);
        writer.WriteRaw(q);
        writer.EndNested(writer.BeginNested(TcConstants.TCA_OPTIONS, setNestedFlag: false));
        writer.EndNested(options);
    }
}

/// <summary>A packet-count FIFO.</summary>
/// <param name="Limit">The queue length in packets.</param>
public sealed record PfifoQdisc(uint Limit) : TcQdisc
{
    /// <inheritdoc/>
    public override string Kind => "pfifo";

    internal override void WriteOptions(ref NetlinkWriter writer) =>
        BinaryPrimitives.WriteUInt32LittleEndian(writer.ReserveAttribute(TcConstants.TCA_OPTIONS, 4), Limit);
}
