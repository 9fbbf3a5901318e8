#!/usr/bin/env python3
"""Split a FASTA file into two halves by record count (for BLAST's two-core run)."""
import sys

def records(path):
    header, lines = None, []
    with open(path) as handle:
        for line in handle:
            if line.startswith(">"):
                if header is not None:
                    yield header, lines
                header, lines = line, []
            else:
                lines.append(line)
    if header is not None:
        yield header, lines

source, first, second = sys.argv[1:4]
items = list(records(source))
half = (len(items) + 1) // 2
for path, part in ((first, items[:half]), (second, items[half:])):
    with open(path, "w") as out:
        for header, lines in part:
            out.write(header)
            out.writelines(lines)
