"""The guard of every benchmark script that makes links and rules in the network namespace it runs in."""
import json
import subprocess
import sys


def require_private_namespace():
    """Exits unless this process's network namespace holds nothing but lo: the script would otherwise make its bridges,
    veths and rules beside the machine's own interfaces."""
    links = json.loads(subprocess.run(["ip", "-j", "link", "show"], capture_output=True, check=True, text=True).stdout)
    if [link["ifname"] for link in links] != ["lo"]:
        sys.exit("refusing to run in a network namespace with interfaces besides lo (the machine's own?): "
                 "unshare --net --mount " + sys.argv[0])
