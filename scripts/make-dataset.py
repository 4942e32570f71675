"""Writes a synthetic domain-text dataset of at least SIZE bytes for the benchmarks: 10-K-style
paragraphs as TXT lines, CSV rows (id,text,form), JSON Lines or one JSON array.

    python3 scripts/make-dataset.py txt|csv|jsonl|json FILE SIZE
"""
import json
import random
import sys

fmt, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(7)
words = ("revenue income margin quarter fiscal growth liquidity capital expenditure dividend "
         "segment guidance inflation rate bond equity \"adjusted\" EBITDA, operating cash flow "
         "subsidiary acquisition impairment goodwill lease obligation risk factor").split()
rows = [" ".join(random.choice(words) for _ in range(random.randint(40, 160))) for _ in range(4000)]
head, tail = "", ""
if fmt == "txt":
    block = "".join(r + "\n" for r in rows)
elif fmt == "csv":
    head = "id,text,form\n"
    block = "".join('%d,"%s",10-K\n' % (i, r.replace('"', '""')) for i, r in enumerate(rows))
elif fmt == "jsonl":
    block = "".join(json.dumps({"id": i, "text": r, "form": "10-K"}) + "\n" for i, r in enumerate(rows))
elif fmt == "json":
    head = "[\n"
    block = "".join(json.dumps({"id": i, "text": r, "form": "10-K"}) + ",\n" for i, r in enumerate(rows))
    tail = json.dumps({"id": -1, "text": "end", "form": "10-K"}) + "\n]\n"
else:
    sys.exit(f"unknown format {fmt}")
data = block.encode()
with open(path, "wb") as f:
    f.write(head.encode())
    written = len(head)
    while written < size:
        f.write(data)
        written += len(data)
    f.write(tail.encode())
