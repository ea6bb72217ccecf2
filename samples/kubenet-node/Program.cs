using System.CommandLine;
using System.CommandLine.Invocation;
using KubenetNode;

// kubenet-node: the kubelet's network-plugin layer (noop, cni, kubenet) as a command-line node agent (Cli.cs).
ParseResult parse = Cli.BuildCommand().Parse(args);
if (parse.Action is ParseErrorAction usageError)
{
    // A usage error goes to stderr alone: stdout stays for reports (and --help).
    usageError.ShowHelp = false;
    usageError.ShowTypoCorrections = false; // they would go to stdout
    int exit = await parse.InvokeAsync();
    Console.Error.WriteLine("Run 'kubenet-node --help' for usage.");
    return exit;
}
return await parse.InvokeAsync();
