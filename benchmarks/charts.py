"""matplotlib set up the same way for every benchmark script that draws its figures."""
import os


def pyplot(out_dir):
    """matplotlib.pyplot writing SVG with stable ids (a re-run changes only the data), `out_dir` made; None, said
    why, when Debian's python3-matplotlib is missing (run the script with /usr/bin/python3 where another Python is
    first on PATH)."""
    try:
        import matplotlib
        matplotlib.use("svg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("python3-matplotlib is missing: no charts (apt-get install python3-matplotlib, run with /usr/bin/python3)")
        return None
    matplotlib.rcParams["svg.hashsalt"] = "cni-net"
    os.makedirs(out_dir, exist_ok=True)
    return plt
