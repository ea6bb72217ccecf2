using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Cni.Net.Tests.Architecture;

/// <summary>
/// The library uses nothing that .NET implements on Linux by loading a native library at run time (OpenSSL for
/// System.Security.Cryptography and TLS; the name service switch behind host and user name lookups): a plugin linked
/// statically against glibc (CniNetStaticExecutable, as the samples are) cannot load them. The dhcp daemon did, through
/// RandomNumberGenerator, and died at random in its static build. Read from Cni.Net.dll's type and member references.
/// </summary>
public sealed class NoRunTimeLoadedLibraryTests
{
    private static readonly string[] s_forbiddenNamespaces =
    [
        "System.Security.Cryptography",
        "System.Net.Security",
        "System.Net.Http",
    ];

    private static readonly string[] s_forbiddenMembers =
    [
        "System.Net.Dns.",
        "System.Environment.get_UserName",
        "System.Environment.get_UserDomainName",
        "System.Environment.GetFolderPath",
    ];

    [Fact]
    public void CniNetAssembly_ReferencesNoTypeThatLoadsANativeLibraryAtRunTime()
    {
        string[] used = ReferencedNames(typeof(Cni.Net.Spec.CniResult).Assembly.Location);
        Assert.Contains("System.Net.IPAddress", used); // the reader sees the references
        Assert.DoesNotContain(used, n => s_forbiddenNamespaces.Any(ns => n.StartsWith(ns + ".", StringComparison.Ordinal))
            || s_forbiddenMembers.Any(m => n.StartsWith(m, StringComparison.Ordinal)));
    }

    [Fact]
    public void TheCheck_FindsRandomNumberGenerator_InAnAssemblyThatUsesIt()
    {
        // The test assembly itself calls it below, so the same reader must report it.
        _ = System.Security.Cryptography.RandomNumberGenerator.GetInt32(2);
        string[] used = ReferencedNames(typeof(NoRunTimeLoadedLibraryTests).Assembly.Location);
        Assert.Contains(used, n => n.StartsWith("System.Security.Cryptography.RandomNumberGenerator", StringComparison.Ordinal));
    }

    /// <summary>Every referenced type ("Namespace.Type") and member ("Namespace.Type.Member") of the assembly.</summary>
    private static string[] ReferencedNames(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        MetadataReader md = pe.GetMetadataReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (TypeReferenceHandle handle in md.TypeReferences)
        {
            names.Add(TypeName(md, handle));
        }
        foreach (MemberReferenceHandle handle in md.MemberReferences)
        {
            MemberReference member = md.GetMemberReference(handle);
            if (member.Parent.Kind == HandleKind.TypeReference)
            {
                names.Add(TypeName(md, (TypeReferenceHandle)member.Parent) + "." + md.GetString(member.Name));
            }
        }
        return [.. names.Order(StringComparer.Ordinal)];
    }

    private static string TypeName(MetadataReader md, TypeReferenceHandle handle)
    {
        TypeReference type = md.GetTypeReference(handle);
        string name = md.GetString(type.Name);
        return type.ResolutionScope.Kind == HandleKind.TypeReference
            ? TypeName(md, (TypeReferenceHandle)type.ResolutionScope) + "+" + name
            : md.GetString(type.Namespace) + "." + name;
    }
}
