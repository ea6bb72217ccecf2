namespace Cni.Net.Netlink;

// Overloads that name the object a request was about in the exception ("get link \"nope0\": No such device"):
// the operation string stays a constant and the subject becomes text only on the error path.
public sealed partial class NetlinkSocket
{
    internal void ExecuteOn(ref NetlinkWriter request, string operation, scoped NetlinkSubject subject)
    {
        try
        {
            Execute(ref request, operation);
        }
        catch (NetlinkException e) when (e.Errno != 0)
        {
            throw e.About(subject.ToString());
        }
    }

    internal int TryExecuteOn(ref NetlinkWriter request, string operation, ReadOnlySpan<int> toleratedErrors, scoped NetlinkSubject subject)
    {
        try
        {
            return TryExecute(ref request, operation, toleratedErrors);
        }
        catch (NetlinkException e) when (e.Errno != 0)
        {
            throw e.About(subject.ToString());
        }
    }

    internal void RequestOn<THandler>(ref NetlinkWriter request, string operation, scoped NetlinkSubject subject, ref THandler handler)
        where THandler : INetlinkReplyHandler, allows ref struct
    {
        try
        {
            Request(ref request, operation, ref handler);
        }
        catch (NetlinkException e) when (e.Errno != 0)
        {
            throw e.About(subject.ToString());
        }
    }

    internal int TryRequestOn<THandler>(ref NetlinkWriter request, string operation, ReadOnlySpan<int> toleratedErrors, scoped NetlinkSubject subject, ref THandler handler)
        where THandler : INetlinkReplyHandler, allows ref struct
    {
        try
        {
            return TryRequest(ref request, operation, toleratedErrors, ref handler);
        }
        catch (NetlinkException e) when (e.Errno != 0)
        {
            throw e.About(subject.ToString());
        }
    }

    internal List<T> DumpOn<T>(ref NetlinkWriter request, string operation, NetlinkMessageDecoder<T> decode, scoped NetlinkSubject subject)
    {
        try
        {
            return Dump(ref request, operation, decode);
        }
        catch (NetlinkException e) when (e.Errno != 0)
        {
            throw e.About(subject.ToString());
        }
    }

    internal List<T> TryDumpOn<T>(ref NetlinkWriter request, string operation, NetlinkMessageDecoder<T> decode,
        ReadOnlySpan<int> toleratedErrors, scoped NetlinkSubject subject, out int errno)
    {
        try
        {
            return TryDump(ref request, operation, decode, toleratedErrors, out errno);
        }
        catch (NetlinkException e) when (e.Errno != 0)
        {
            throw e.About(subject.ToString());
        }
    }
}
