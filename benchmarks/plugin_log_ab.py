# Interleaved A/B of a published plugin's ADD and DEL with CNI_LOG_FILE unset vs set: wall time and the child's own
# CPU time (user+sys from wait4), which load on a shared machine disturbs far less than wall time.
import subprocess, os, time, statistics, tempfile, shutil, sys
plugin = sys.argv[1]; n = int(sys.argv[2])
root = tempfile.mkdtemp(prefix="cni-logab-")
log = os.path.join(root, "cni.log")
base = {"CNI_CONTAINERID": "bench", "CNI_NETNS": "/var/run/netns/unused", "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni", "PATH": os.environ["PATH"]}
def run(cmd, store, logon):
    env = dict(base, CNI_COMMAND=cmd)
    if logon: env["CNI_LOG_FILE"] = log
    cfg = '{"cniVersion":"1.0.0","name":"bench","type":"bridge","ipam":{"type":"host-local","dataDir":"%s","ranges":[[{"subnet":"10.20.0.0/24"}]]}}' % store
    t = time.perf_counter_ns()
    p = subprocess.Popen([plugin], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    p.stdin.write(cfg.encode()); p.stdin.close()
    p.stdout.read(); p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    wall = (time.perf_counter_ns() - t) / 1e6
    assert status == 0
    return wall, (ru.ru_utime + ru.ru_stime) * 1000
res = {False: {"ADD": [], "DEL": []}, True: {"ADD": [], "DEL": []}}
for i in range(n):
    for logon in ((False, True) if i % 2 == 0 else (True, False)):
        store = os.path.join(root, "s%d%s" % (i, logon))
        res[logon]["ADD"].append(run("ADD", store, logon))
        res[logon]["DEL"].append(run("DEL", store, logon))
        shutil.rmtree(store)
lines = sum(1 for _ in open(log))
med = statistics.median
for cmd in ("ADD", "DEL"):
    off, on = res[False][cmd], res[True][cmd]
    w0, w1 = med([x[0] for x in off]), med([x[0] for x in on])
    c0, c1 = med([x[1] for x in off]), med([x[1] for x in on])
    m0, m1 = statistics.mean([x[1] for x in off]), statistics.mean([x[1] for x in on])
    print(f"{cmd}: wall median off {w0:.3f} on {w1:.3f} ({w1-w0:+.3f} ms); CPU median off {c0:.3f} on {c1:.3f} ({c1-c0:+.3f} ms); CPU mean off {m0:.3f} on {m1:.3f} ({m1-m0:+.3f} ms)")
print(f"{n} pairs, log lines {lines}")
shutil.rmtree(root)
