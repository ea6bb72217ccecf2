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


def shade(box, colours):
    """Fills the boxes of a `boxplot(..., patch_artist=True)` with `colours`, half transparent."""
    for patch, colour in zip(box["boxes"], colours):
        patch.set_facecolor(colour)
        patch.set_alpha(0.5)


def save(fig, out_dir, name):
    """Lays `fig` out, writes it to `out_dir/name`, closes it and says where it went."""
    import matplotlib.pyplot as plt
    path = os.path.join(out_dir, name)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"chart written to {path}")
