using System.Net;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;

using NetworkNamespace pod = NetworkNamespace.Open("/var/run/netns/pod1");
using var host = new RouteNetlink();                       // the calling thread's namespace
host.AddLink(new BridgeLink("cni0"));                      // the bridge the pods hang off (the bridge plugin makes it)
host.SetLinkUp(host.GetLinkIndex("cni0"));
host.AddVeth("veth1a2b", "eth0", peerNamespace: pod, mtu: 1450);   // peer created directly inside the pod
int hostEnd = host.GetLinkIndex("veth1a2b");
host.SetLinkMaster(hostEnd, host.GetLinkIndex("cni0"));
host.SetLinkUp(hostEnd);

using RouteNetlink inPod = RouteNetlink.Open(pod);          // a socket bound to the pod namespace
int eth0 = inPod.GetLinkIndex("eth0");
inPod.AddAddress(eth0, IPAddress.Parse("10.22.0.5"), 16);
inPod.SetLinkUp(eth0);
inPod.AddRoute(new IPRoute { Gateway = IPAddress.Parse("10.22.0.1"), DeviceIndex = eth0 });   // default route
