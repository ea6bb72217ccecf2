using Cni.Net.Plugins.Server;

// The plugin type is the name this binary was installed under (argv[0]), as the runtime found it on CNI_PATH.
string type = Path.GetFileName(Environment.GetCommandLineArgs()[0]);
return CniPluginClient.Run(type);
