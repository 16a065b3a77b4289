#!/usr/bin/env python3
"""How far two text files differ in their numbers: token by token, numbers compared relatively, other tokens
exactly. Prints the number of differing numbers, the largest relative difference and a few examples, and says
whether any non-numeric token differs. Used by compare.sh to size deliberate numeric changes."""
import re
import sys

TOKEN = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[A-Za-z_]+|\S")


def tokens(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return TOKEN.findall(f.read())


def number(t):
    try:
        return float(t)
    except ValueError:
        return None


def main(a, b):
    ta, tb = tokens(a), tokens(b)
    if len(ta) != len(tb):
        print(f"  structure differs: {len(ta)} vs {len(tb)} tokens")
        return 1
    worst, count, examples, text = 0.0, 0, [], 0
    for x, y in zip(ta, tb):
        if x == y:
            continue
        nx, ny = number(x), number(y)
        if nx is None or ny is None:
            text += 1
            if len(examples) < 3:
                examples.append(f"{x} -> {y}")
            continue
        count += 1
        rel = abs(nx - ny) / max(abs(nx), abs(ny), 1e-300)
        if rel > worst:
            worst = rel
        if len(examples) < 3:
            examples.append(f"{x} -> {y}")
    print(f"  {count} numbers differ, largest relative difference {worst:.3g}; {text} other tokens differ; e.g. {'; '.join(examples)}")
    return 0 if text == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
