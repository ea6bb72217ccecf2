using System.Buffers.Binary;

namespace Cni.Net.TrafficControl;

/// <summary>A queueing discipline and its options, as written into RTM_NEWQDISC.</summary>
internal abstract record Qdisc
{
    /// <summary>TCA_KIND.</summary>
    public abstract string Kind { get; }

    /// <summary>Writes TCA_OPTIONS (or nothing when the qdisc has none).</summary>
    internal abstract void WriteOptions(ref TcMessageWriter writer);
}

/// <summary>Token-bucket filter: shapes to a rate with a burst, queueing up to a limit.</summary>
internal sealed record TbfQdisc(TbfParameters Parameters) : Qdisc
{
    public override string Kind => "tbf";

    internal override void WriteOptions(ref TcMessageWriter writer)
    {
        int options = writer.BeginNested(TcConstants.TCA_OPTIONS);
        // struct tc_tbf_qopt { tc_ratespec rate, peakrate; u32 limit, buffer, mtu; }
        Span<byte> p = writer.ReserveAttribute(TcConstants.TCA_TBF_PARMS, 36);
        TcRateSpec.Write(p, Parameters.RateBytesPerSecond);
        TcRateSpec.Write(p[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(p[24..], Parameters.LimitBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(p[28..], Parameters.BufferTicks);
        BinaryPrimitives.WriteUInt32LittleEndian(p[32..], 0);
        // The burst in bytes: the kernel derives the bucket from it instead of from a tick count that may saturate.
        writer.WriteUInt32(TcConstants.TCA_TBF_BURST, Parameters.BurstBytes);
        if (Parameters.RateBytesPerSecond > uint.MaxValue)
        {
            writer.WriteUInt64(TcConstants.TCA_TBF_RATE64, Parameters.RateBytesPerSecond);
        }
        writer.EndNested(options);
    }
}

/// <summary>The ingress qdisc (handle <c>ffff:</c>, parent <c>ingress</c>): a hook for ingress filters.</summary>
internal sealed record IngressQdisc : Qdisc
{
    public override string Kind => "ingress";

    internal override void WriteOptions(ref TcMessageWriter writer)
    {
    }
}

/// <summary>clsact: ingress and egress filter hooks (<c>ffff:fff2</c>, <c>ffff:fff3</c>).</summary>
internal sealed record ClsactQdisc : Qdisc
{
    public override string Kind => "clsact";

    internal override void WriteOptions(ref TcMessageWriter writer)
    {
    }
}

/// <summary>Hierarchy token bucket: classes with guaranteed rates and ceilings.</summary>
/// <param name="DefaultClass">The minor number of the class unclassified traffic goes to (0: sent unshaped).</param>
internal sealed record HtbQdisc(ushort DefaultClass) : Qdisc
{
    public override string Kind => "htb";

    internal override void WriteOptions(ref TcMessageWriter writer)
    {
        int options = writer.BeginNested(TcConstants.TCA_OPTIONS);
        // struct tc_htb_glob { u32 version, rate2quantum, defcls, debug, direct_pkts; }
        Span<byte> g = writer.ReserveAttribute(TcConstants.TCA_HTB_INIT, 20);
        g.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(g, 3);
        BinaryPrimitives.WriteUInt32LittleEndian(g[4..], 10);
        BinaryPrimitives.WriteUInt32LittleEndian(g[8..], DefaultClass);
        writer.EndNested(options);
    }
}

/// <summary>Fair queueing with controlled delay, with the kernel's defaults (or a packet limit).</summary>
/// <param name="Limit">The packet limit, or null for the default.</param>
internal sealed record FqCodelQdisc(uint? Limit = null) : Qdisc
{
    public override string Kind => "fq_codel";

    internal override void WriteOptions(ref TcMessageWriter writer)
    {
        int options = writer.BeginNested(TcConstants.TCA_OPTIONS);
        if (Limit is uint limit)
        {
            writer.WriteUInt32(TcConstants.TCA_FQ_CODEL_LIMIT, limit);
        }
        writer.EndNested(options);
    }
}

/// <summary>A priority scheduler with <c>bands</c> bands and tc's default priority map.</summary>
internal sealed record PrioQdisc(int Bands = 3) : Qdisc
{
    private static readonly byte[] s_defaultPriomap = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

    public override string Kind => "prio";

    internal override void WriteOptions(ref TcMessageWriter writer)
    {
        // tc nests "compat" style: the struct tc_prio_qopt first, then an (empty) nested TCA_OPTIONS after it.
        int options = writer.BeginNested(TcConstants.TCA_OPTIONS);
        Span<byte> q = writer.ReserveRaw(20);
        BinaryPrimitives.WriteInt32LittleEndian(q, Bands);
        s_defaultPriomap.CopyTo(q[4..]);
        writer.EndNested(writer.BeginNested(TcConstants.TCA_OPTIONS));
        writer.EndNested(options);
    }
}

/// <summary>A packet-count FIFO.</summary>
/// <param name="Limit">The queue length in packets.</param>
internal sealed record PfifoQdisc(uint Limit) : Qdisc
{
    public override string Kind => "pfifo";

    internal override void WriteOptions(ref TcMessageWriter writer) =>
        BinaryPrimitives.WriteUInt32LittleEndian(writer.ReserveAttribute(TcConstants.TCA_OPTIONS, 4), Limit);
}
