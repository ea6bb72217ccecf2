// Runs the snippets of docs/getting-started.md on sample data: `dotnet run` in this directory. With the name of a
// snippet that reads the node's /etc/cni/net.d (`dotnet SpecModel.dll ReadList`) it runs that one and prints what it
// returns; the integration tests run them so over a private /etc/cni/net.d (DocExampleKernelTests).
using System.Text;
using Cni.Net.Configuration;
using Cni.Net.Examples.SpecModel;
using Cni.Net.Spec;

switch (args)
{
    case [nameof(SpecModelExamples.ReadList)]:
        (NetworkConfigList read, CniVersion negotiated) = SpecModelExamples.ReadList();
        Console.WriteLine($"list {read.Name} {negotiated}");
        return 0;
    case [nameof(SpecModelExamples.ConfDir)]:
        CniConfigDirectory conf = SpecModelExamples.ConfDir(Console.Error);
        Console.WriteLine($"default {conf.Default?.Path} {conf.Default?.Config.Name} {conf.Default?.Version}");
        return 0;
    case [_, ..]:
        Console.Error.WriteLine("usage: SpecModel [" + nameof(SpecModelExamples.ReadList) + "|" + nameof(SpecModelExamples.ConfDir) + "]");
        return 2;
}

Console.WriteLine(SpecModelExamples.Versions());
NetworkConfigList list = SpecModelExamples.Lift(Encoding.UTF8.GetBytes(
    """{"cniVersion":"1.0.0","name":"pods","type":"bridge","bridge":"cni0","isGateway":true,"capabilities":{"portMappings":true}}"""));
Console.WriteLine(Encoding.UTF8.GetString(SpecModelExamples.Inject(list, CniVersion.V1_0_0, previousResult: null)));
Console.WriteLine(SpecModelExamples.TypedView(list.Plugins[0]));
byte[] stdout = Encoding.UTF8.GetBytes("""{"cniVersion":"1.0.0","ips":[{"address":"10.22.0.5/16","gateway":"10.22.0.1"}]}""");
Console.WriteLine(Encoding.UTF8.GetString(SpecModelExamples.Results(stdout, CniVersion.V1_0_0)));
TextWriter console = Console.Out;
(CniException raised, string printed) = SpecModelExamples.Errors(
    Encoding.UTF8.GetBytes("""{"cniVersion":"1.0.0","code":7,"msg":"bad"}"""), CniVersion.V1_0_0, new StringWriter());
Console.SetOut(console);
Console.WriteLine($"{printed} / {raised.Code}");
return 0;
