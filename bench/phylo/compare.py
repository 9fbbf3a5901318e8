"""Run bwcv and TreeTime on the same trees and dates; print both and the ratio.

Called by run.sh: compare.py BWCV_BINARY DATA_DIR REPEATS.

TreeTime prints its rate and r^2 rounded; for more digits this script also
refits ordinary least squares on TreeTime's own rtt.csv (its rerooted
root-to-tip distances and dates, minus the tips in its outliers.tsv), which
is exactly the regression TreeTime reports.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd, repeats):
    times = []
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if out.returncode not in (0, 1):
            sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    return statistics.median(times), out


def ols(points):
    n = len(points)
    mt = sum(p[0] for p in points) / n
    md = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mt) ** 2 for p in points)
    syy = sum((p[1] - md) ** 2 for p in points)
    sxy = sum((p[0] - mt) * (p[1] - md) for p in points)
    rate = sxy / sxx
    intercept = md - rate * mt
    return rate, sxy * sxy / (sxx * syy), -intercept / rate


def treetime_numbers(outdir, stdout):
    printed = {}
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("--rate:"):
            printed["rate"] = float(line.split()[-1])
        elif line.startswith("--r^2:"):
            printed["r2"] = float(line.split()[-1])
        elif line.startswith("--- root-date:"):
            printed["root"] = float(line.split()[2])
    outliers = set()
    path = os.path.join(outdir, "outliers.tsv")
    if os.path.exists(path):
        with open(path) as f:
            next(f)
            outliers = {line.split("\t")[0] for line in f if line.strip()}
    points = []
    with open(os.path.join(outdir, "rtt.csv")) as f:
        for line in f:
            if line.startswith("#") or line.startswith("name,"):
                continue
            fields = [x.strip() for x in line.rsplit(",", 3)]
            name, date, dist = fields[0], fields[1], float(fields[2])
            if name in outliers or not date:
                continue
            if fields[3] == "0.0" and "-" not in date:
                # internal nodes and undated tips carry inferred dates
                continue
            if "-" in date and not date.startswith("-"):
                lo, hi = (float(x) for x in date.split("-"))
                t = 0.5 * (lo + hi)
            else:
                t = float(date)
            points.append((t, dist))
    rate, r2, root = ols(points)
    return printed, (rate, r2, root), len(outliers)


def main():
    bwcv, data, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    work = tempfile.mkdtemp(prefix="bwcv-phylo-bench-")
    h3 = os.path.join(data, "h3n2_na")
    sets = [
        ("h3n2_na_20", os.path.join(h3, "h3n2_na_20.nwk"), os.path.join(h3, "h3n2_na_20.metadata.csv"), 1407, None),
        ("h3n2_na_200", os.path.join(h3, "h3n2_na_200.nwk"), os.path.join(h3, "h3n2_na_200.metadata.csv"), 1407, None),
    ]
    # Zika and Ebola: both tools get the same NJ tree built by bwcv.
    zika = os.path.join(data, "zika-tutorial")
    zika_tree = os.path.join(work, "zika_nj.nwk")
    subprocess.run([bwcv, "phylo", "tree", "--genomes", os.path.join(zika, "sequences.fasta"),
                    "--reference", os.path.join(zika, "zika_outgroup.gb"), "--out", zika_tree], check=True)
    sets.append(("zika (NJ by bwcv)", zika_tree, os.path.join(zika, "metadata.tsv"), 10769, None))
    ebola = os.path.join(data, "ebola-30")
    ebola_tree = os.path.join(work, "ebola_nj.nwk")
    subprocess.run([bwcv, "phylo", "tree", "--aln", os.path.join(ebola, "sequences.fasta"), "--out", ebola_tree],
                   check=True)
    # TreeTime takes the first of name/strain/accession (strain); the
    # alignment is named by accession, so both get --name-column accession.
    sets.append(("ebola-30 (NJ by bwcv)", ebola_tree, os.path.join(ebola, "metadata.tsv"), 18996, "accession"))

    print(f"repeats per tool: {repeats} (median wall time, process start to exit, incl. the plot)")
    header = f"{'data set':24} {'tool':9} {'rate':>11} {'r2':>7} {'root date':>10} {'outl':>4} {'time s':>8}"
    ratios = []
    for name, tree, dates, length, name_col in sets:
        svg = os.path.join(work, "rtt.svg")
        cmd_b = [bwcv, "phylo", "clock", "--tree", tree, "--dates", dates, "--sequence-length", str(length),
                 "--format", "json", "--plot", svg]
        outdir = os.path.join(work, name.split()[0] + "_tt")
        cmd_t = ["treetime", "clock", "--tree", tree, "--dates", dates, "--sequence-length", str(length),
                 "--outdir", outdir]
        if name_col:
            cmd_b += ["--name-column", name_col]
            cmd_t += ["--name-column", name_col]
        tb, out_b = timed(cmd_b, repeats)
        tt, out_t = timed(cmd_t, repeats)
        b = json.loads(out_b.stdout)
        printed, (rate, r2, root), n_out = treetime_numbers(outdir, out_t.stdout)
        print()
        print(header)
        print(f"{name:24} {'bwcv':9} {b['rate']:11.4e} {b['r2']:7.4f} {b['root_date']:10.3f} "
              f"{len(b['outliers']):4d} {tb:8.3f}")
        print(f"{'':24} {'TreeTime':9} {rate:11.4e} {r2:7.4f} {root:10.3f} {n_out:4d} {tt:8.3f}"
              f"   (printed: rate {printed.get('rate')}, r2 {printed.get('r2')}, root {printed.get('root')})")
        drate = abs(b["rate"] - rate) / rate
        print(f"{'':24} difference: rate {100 * drate:.3f} %, root {abs(b['root_date'] - root):.4f} y; "
              f"speed ratio {tt / tb:.1f}x")
        ratios.append(tt / tb)
    print()
    print(f"speed ratio TreeTime/bwcv: min {min(ratios):.1f}x, median {statistics.median(ratios):.1f}x")


if __name__ == "__main__":
    main()
