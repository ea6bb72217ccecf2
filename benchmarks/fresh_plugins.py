"""Copies of a side's plugin binaries, made when a benchmark starts.

On this machine exec'ing a binary cost up to 20% more CPU from an older copy of the same bytes than from a fresh one
(benchmarks/README.md, "Copies of the same age"), so an A/B whose sides are copies of different ages measures the copies,
not the builds. Every benchmark script that execs plugins runs copies made in the same minute for all its sides."""
import os
import shutil
import tempfile

CHAIN = ("bridge", "host-local", "portmap", "bandwidth")


def fresh_copy(directory, prefix, names=CHAIN):
    """A new temporary directory holding copies of `names` from `directory`; the caller removes it."""
    copy = tempfile.mkdtemp(prefix=prefix)
    for name in names:
        shutil.copy2(os.path.join(directory, name), copy)
    return copy
