namespace Cni.Net.Samples.HostLocal;

/// <summary>The four resolv.conf keys the reference plugin copies into a result's <c>dns</c>.</summary>
internal sealed class ResolvConf
{
    public List<string> Nameservers { get; } = [];

    public string? Domain { get; private set; }

    public List<string> Search { get; } = [];

    public List<string> Options { get; } = [];

    public static ResolvConf Read(string path)
    {
        var dns = new ResolvConf();
        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }
            string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                continue;
            }
            switch (fields[0])
            {
                case "nameserver":
                    dns.Nameservers.Add(fields[1]);
                    break;
                case "domain":
                    dns.Domain = fields[1];
                    break;
                case "search":
                    dns.Search.AddRange(fields[1..]);
                    break;
                case "options":
                    dns.Options.AddRange(fields[1..]);
                    break;
            }
        }
        return dns;
    }
}
