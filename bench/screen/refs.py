#!/usr/bin/env python3
"""Write the benchmark references for BLAST with clean ids, and an id -> origin map."""
import argparse
import gzip

parser = argparse.ArgumentParser()
parser.add_argument("fasta")
parser.add_argument("origin")
parser.add_argument("--concern", nargs="+", required=True)
parser.add_argument("--background", nargs="+", required=True)
args = parser.parse_args()

def open_any(path):
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rt") if magic == b"\x1f\x8b" else open(path)

with open(args.fasta, "w") as out, open(args.origin, "w") as origin:
    origin.write("id\torigin\n")
    for kind, paths in (("concern", args.concern), ("background", args.background)):
        for path in paths:
            with open_any(path) as handle:
                for line in handle:
                    if line.startswith(">"):
                        name = line[1:].split()[0].replace("|", "_").replace(":", "_")
                        out.write(f">{kind}__{name}\n")
                        origin.write(f"{kind}__{name}\t{kind}\n")
                    else:
                        out.write(line)
