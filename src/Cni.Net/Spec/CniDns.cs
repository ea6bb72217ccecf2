namespace Cni.Net.Spec;

/// <summary>DNS settings (<c>dns</c> in configurations and results).</summary>
public sealed class CniDns
{
    /// <summary>Name servers in priority order (<c>nameservers</c>).</summary>
    public IList<string> Nameservers { get; } = new List<string>();

    /// <summary>The local domain (<c>domain</c>).</summary>
    public string? Domain { get; set; }

    /// <summary>Search domains (<c>search</c>).</summary>
    public IList<string> Search { get; } = new List<string>();

    /// <summary>Resolver options (<c>options</c>).</summary>
    public IList<string> Options { get; } = new List<string>();

    /// <summary>Whether nothing is set (Go prints such a value as <c>{}</c>).</summary>
    public bool IsEmpty => Nameservers.Count == 0 && Domain is null && Search.Count == 0 && Options.Count == 0;

    /// <summary>A deep copy.</summary>
    public CniDns Clone()
    {
        var copy = new CniDns { Domain = Domain };
        foreach (string s in Nameservers)
        {
            copy.Nameservers.Add(s);
        }
        foreach (string s in Search)
        {
            copy.Search.Add(s);
        }
        foreach (string s in Options)
        {
            copy.Options.Add(s);
        }
        return copy;
    }
}
