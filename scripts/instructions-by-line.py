#!/usr/bin/env python3
"""Where a run's instructions go, charged to cgtsim's own source lines.

callgrind charges an inlined instruction to the line it came from, which for a bounds
check or a vector access is a line of the standard library. This script charges every
instruction of the cgtsim binary to the innermost frame of its inline chain that lies
in cgtsim's `src/` (addr2line -i), so that the cost of `self.entities[c]` shows where it
is written. README's table "Where the instructions go" was made with it.

    valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=cg.out \\
        target/release/cgtsim run SCENARIO --replications 1 --threads 1
    scripts/instructions-by-line.py cg.out target/release/cgtsim [--by file] [--top N]

Needs addr2line (binutils). Prints instructions, share and source line (or file).
"""

import argparse
import collections
import os
import re
import subprocess


def costs(path, binary):
    """Instructions per address of `binary` in callgrind output `path`."""
    names, current, addr, skip = {}, None, 0, False
    cost = collections.Counter()
    base = os.path.basename(binary)
    with open(path) as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = re.match(r"(c?ob)=\((\d+)\)(?: (.*))?", raw)
            if m:
                if m.group(3):
                    names[m.group(2)] = m.group(3)
                if m.group(1) == "ob":
                    current = m.group(2)
                continue
            if raw.startswith("calls="):
                skip = True  # the next cost line is the call's inclusive cost
                continue
            if not raw or raw[0] not in "0123456789+-*":
                continue
            parts = raw.split()
            a = parts[0]
            if a.startswith("0x"):
                addr = int(a, 16)
            elif a.startswith("+"):
                addr += int(a[1:])
            elif a.startswith("-"):
                addr -= int(a[1:])
            if skip:
                skip = False
                continue
            if len(parts) > 2 and names.get(current, "").endswith(base):
                cost[addr] += int(parts[2])
    return cost


def owners(binary, addrs, src):
    """Per address, the innermost line of its inline chain inside `src`."""
    out = subprocess.run(
        ["addr2line", "-a", "-i", "-e", binary] + [hex(a) for a in addrs],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    chains, at = {}, None
    for line in out:
        if line.startswith("0x"):
            at = int(line, 16)
            chains[at] = []
        elif line and at is not None:
            chains[at].append(line.split(" ")[0])
    owner = {}
    for a, chain in chains.items():
        ours = [x for x in chain if src in x]
        owner[a] = ours[0].split(src, 1)[1] if ours else (chain[0].rsplit("/", 1)[-1] if chain else "?")
    return owner


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("callgrind_out")
    p.add_argument("binary")
    p.add_argument("--by", choices=["line", "file"], default="line")
    p.add_argument("--top", type=int, default=40)
    args = p.parse_args()
    cost = costs(args.callgrind_out, args.binary)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src") + "/"
    src = os.path.normpath(src) + "/"
    owner = owners(args.binary, sorted(cost), src)
    total = sum(cost.values())
    agg = collections.Counter()
    for a, v in cost.items():
        key = owner.get(a, "?")
        agg[key.split(":")[0] if args.by == "file" else key] += v
    for key, v in agg.most_common(args.top):
        print(f"{v:12d} {100 * v / total:5.1f}%  {key}")
    print(f"{total:12d} 100.0%  (all instructions of {os.path.basename(args.binary)})")


if __name__ == "__main__":
    main()
