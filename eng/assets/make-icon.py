#!/usr/bin/env python3
"""Draws the package icon (128x128 PNG): three linked nodes on a blue rounded square. Standard library only."""
import math
import struct
import sys
import zlib

N = 128
BG = (0x1f, 0x5f, 0xb0)
FG = (0xff, 0xff, 0xff)
NODES = [(40, 44), (92, 44), (66, 90)]


def inside_rounded(x, y, r=22):
    cx = min(max(x, r), N - 1 - r)
    cy = min(max(y, r), N - 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def near_segment(x, y, a, b, width):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (ax + t * dx), y - (ay + t * dy)) <= width


def pixel(x, y):
    if not inside_rounded(x, y):
        return (0, 0, 0, 0)
    for (nx, ny) in NODES:
        if math.hypot(x - nx, y - ny) <= 13:
            return FG + (255,)
    for i in range(3):
        if near_segment(x, y, NODES[i], NODES[(i + 1) % 3], 4):
            return FG + (255,)
    return BG + (255,)


def png(path):
    raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(N)) for y in range(N))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


png(sys.argv[1] if len(sys.argv) > 1 else "icon.png")
