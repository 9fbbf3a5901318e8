#!/usr/bin/env python3
"""Recall and false-flag rate per divergence bin for bwcv, blastn and tblastx; speed ratios.

A BLAST order counts as flagged when it has an HSP to a concern reference with
E <= 1e-3 that no background HSP overlapping at least half of its query span
beats on bit score (the same best-match-per-region idea bwcv applies). bwcv
orders count as flagged when their status is "flag" (bwcv's own rule, E <= 1e-3).
"""
import argparse
import collections
import os
import re

MAX_EVALUE = 1e-3

parser = argparse.ArgumentParser()
parser.add_argument("--truth", required=True)
parser.add_argument("--origin", required=True)
parser.add_argument("--folder", required=True)
parser.add_argument("--orders", required=True)
args = parser.parse_args()

def read_tsv(path):
    with open(path) as handle:
        lines = [line.rstrip("\n").split("\t") for line in handle if not line.startswith("#")]
    header = lines[0]
    return [dict(zip(header, row)) for row in lines[1:]]

truth = {row["id"]: row for row in read_tsv(args.truth)}
origin = {row["id"]: row["origin"] for row in read_tsv(args.origin)}

def bwcv_flags(path):
    flagged = set()
    for row in read_tsv(path):
        if row["status"] == "flag":
            flagged.add(row["record"])
    return flagged

def blast_flags(path):
    hits = collections.defaultdict(list)
    with open(path) as handle:
        for line in handle:
            q, s, pident, length, qs, qe, ss, se, evalue, bits = line.rstrip("\n").split("\t")
            lo, hi = sorted((int(qs), int(qe)))
            hits[q].append((origin.get(s, "background"), lo, hi, float(evalue), float(bits)))
    flagged = set()
    for query, items in hits.items():
        for kind, lo, hi, evalue, bits in items:
            if kind != "concern" or evalue > MAX_EVALUE:
                continue
            span = hi - lo + 1
            beaten = False
            for other_kind, olo, ohi, _, obits in items:
                if other_kind != "background":
                    continue
                overlap = min(hi, ohi) - max(lo, olo) + 1
                if overlap >= span / 2 and obits >= bits:
                    beaten = True
                    break
            if not beaten:
                flagged.add(query)
                break
    return flagged

def seconds(path):
    text = open(path).read()
    match = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    hours = int(match.group(1) or 0)
    return hours * 3600 + int(match.group(2)) * 60 + float(match.group(3))

def peak_mib(path):
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read())
    return int(match.group(1)) / 1024

def cpu_seconds(path):
    text = open(path).read()
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
    return user + system

folder = args.folder
tools = {
    "bwcv": bwcv_flags(os.path.join(folder, "bwcv_t2.tsv")),
    "blastn": blast_flags(os.path.join(folder, "blastn.tsv")),
    "tblastx": blast_flags(os.path.join(folder, "tblastx.tsv")),
}
tools["blastn|tblastx"] = tools["blastn"] | tools["tblastx"]

def bins(key):
    groups = collections.defaultdict(list)
    for order_id, row in truth.items():
        groups[key(row)].append(order_id)
    return groups

names = list(tools)
print(f"\n-- recall on orders of concern, by divergence and mutation (n per bin), E <= {MAX_EVALUE:g}")
print("divergence  mutation     length   n  " + "  ".join(f"{name:>14}" for name in names))
concern_groups = bins(lambda row: (int(row["divergence_pct"]), row["mutation"], int(row["length"])) if row["origin"] == "concern" else None)
for key in sorted(k for k in concern_groups if k is not None):
    ids = concern_groups[key]
    cells = [f"{100 * sum(i in tools[name] for i in ids) / len(ids):13.1f}%" for name in names]
    print(f"{key[0]:>9}%  {key[1]:<11} {key[2]:>6} {len(ids):>4}  " + "  ".join(cells))
for title, kinds in (("substitutions (random and synonymous)", ("random", "synonymous")), ("indels (plus random substitutions)", ("indel",))):
    by_div = bins(lambda row: int(row["divergence_pct"]) if row["origin"] == "concern" and row["mutation"] in kinds else None)
    if not any(k is not None for k in by_div):
        continue
    print(f"\n-- recall by divergence, {title}, all lengths")
    for key in sorted(k for k in by_div if k is not None):
        ids = by_div[key]
        print(f"{key:>9}%  n={len(ids):<5} " + "  ".join(f"{name}={100 * sum(i in tools[name] for i in ids) / len(ids):.1f}%" for name in names))
embedded = [i for i, row in truth.items() if row["origin"] == "concern" and row["embedded"] == "true"]
if embedded:
    print(f"   embedded in background flanks n={len(embedded)}: " + "  ".join(f"{name}={100 * sum(i in tools[name] for i in embedded) / len(embedded):.1f}%" for name in names))
background = [i for i, row in truth.items() if row["origin"] == "background"]
print(f"\n-- false flags on background orders (n={len(background)}): " + "  ".join(f"{name}={sum(i in tools[name] for i in background)} ({100 * sum(i in tools[name] for i in background) / max(1, len(background)):.2f}%)" for name in names))

total_nt = sum(len(line.strip()) for line in open(args.orders) if not line.startswith(">"))
def fastest(prefix):
    """The fastest of the runs PREFIX_r*.time (or PREFIX.time): its file."""
    import glob
    files = sorted(glob.glob(os.path.join(folder, f"{prefix}_r*.time"))) or [os.path.join(folder, f"{prefix}.time")]
    return min(files, key=seconds)


t1_file, t2_file = fastest("bwcv_t1"), fastest("bwcv_t2")
bwcv1 = seconds(t1_file)
bwcv2 = seconds(t2_file)
fixed_files = [f for f in (fastest("bwcv_fixed_t1"), fastest("bwcv_fixed_t2")) if os.path.exists(f)]
fixed2 = seconds(fastest("bwcv_fixed_t2")) if len(fixed_files) == 2 else None
build = seconds(os.path.join(folder, "bwcv_build.time"))
print(f"\n-- speed ({len(truth)} orders, {total_nt} nt)")
db_bytes = int(open(os.path.join(folder, "bwcv_db.bytes")).read()) if os.path.exists(os.path.join(folder, "bwcv_db.bytes")) else 0
print(f"bwcv db build: {build:.2f} s wall, peak {peak_mib(os.path.join(folder, 'bwcv_build.time')):.0f} MiB, file {db_bytes / 2**20:.1f} MiB (index stored)")
cpu1 = cpu_seconds(t1_file)
print(f"bwcv screen, 1 thread (fastest of 3): {bwcv1:.3f} s wall, {cpu1:.2f} CPU s (includes loading and verifying the database), {total_nt / bwcv1:,.0f} bp/s per core, peak {peak_mib(t1_file):.0f} MiB")
print(f"bwcv screen, 2 threads (fastest of 3): {bwcv2:.3f} s wall, {total_nt / bwcv2:,.0f} bp/s, peak {peak_mib(t2_file):.0f} MiB")
if fixed2 is not None:
    print(f"bwcv fixed cost, 2 threads, one-record input (start, read and verify the database): {fixed2:.3f} s; screening alone {max(bwcv2 - fixed2, 1e-3):.3f} s, {total_nt / max(bwcv2 - fixed2, 1e-3):,.0f} bp/s")
for tool in ("blastn", "tblastx"):
    wall = float(open(os.path.join(folder, f"{tool}.wall")).read())
    walls_file = os.path.join(folder, f"{tool}.walls")
    walls = [float(line) for line in open(walls_file)] if os.path.exists(walls_file) else [wall]
    runs = f"fastest of {len(walls)} ({', '.join(f'{w:.2f}' for w in walls)} s)" if len(walls) > 1 else "one run"
    cpu = cpu_seconds(os.path.join(folder, f"{tool}_h1.time")) + cpu_seconds(os.path.join(folder, f"{tool}_h2.time"))
    steady = f"; {wall / max(bwcv2 - fixed2, 1e-3):.1f}x without bwcv's fixed cost" if fixed2 is not None else ""
    print(f"{tool}: two single-threaded processes over halves, {runs}: {wall:.2f} s wall ({cpu:.1f} CPU s), {total_nt / wall:,.0f} bp/s; bwcv (2 threads) is {wall / bwcv2:.1f}x faster{steady} (goal for blastn: 100x)")
