#!/usr/bin/env python3
"""Random orders that match nothing: N records of 50, 150 or 500 nt of
uniform random sequence (Python's Mersenne Twister, seeded), for timing the
six-frame path and counting warn/flag statuses on unrelated sequence.

Usage: novel.py OUT.fa [N] [SEED]   (defaults 1000 records, seed 5)
"""
import random
import sys

out = sys.argv[1]
n_records = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 5)
with open(out, "w") as handle:
    for index in range(n_records):
        length = random.choice([50, 150, 500])
        handle.write(f">novel{index}\n" + "".join(random.choice("ACGT") for _ in range(length)) + "\n")
