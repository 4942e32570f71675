#!/usr/bin/env python3
"""A stand-in for the GitHub CLI (`gh`) for the tests of the example workflows: the parts of
`gh api` and `gh run` the workflows call, answered from a JSON state file ($FAKE_GH_STATE).
GitHub is not what is under test; sagetune and the emulator behind it are real.

State: {"comments": {"<pr>": [{"id", "body"}]}, "pulls": {"<sha>": [{"number", "head": {"sha"}}]},
"runs": [{"databaseId", "workflow", "headSha", "conclusion", "artifacts": {"<name>": "<dir>"}}],
"calls": [[argv...]]}. `--jq` is applied with the real jq, with raw output, as gh does.
"""
import json
import os
import re
import shutil
import subprocess
import sys


def fail(message, code=1):
    print(f"fake gh: {message}", file=sys.stderr)
    sys.exit(code)


def options(args, flags_with_value, switches=()):
    """Split argv into positional arguments and {flag: [values]}."""
    positional, given = [], {}
    i = 0
    while i < len(args):
        a = args[i]
        if a in flags_with_value:
            if i + 1 >= len(args):
                fail(f"{a} needs a value")
            given.setdefault(a, []).append(args[i + 1])
            i += 2
        elif a in switches:
            given[a] = [True]
            i += 1
        elif a.startswith("-"):
            fail(f"unknown flag {a} (the fake knows only what the workflows use)")
        else:
            positional.append(a)
            i += 1
    return positional, given


def output(value, jq):
    text = json.dumps(value)
    if jq:
        done = subprocess.run(["jq", "-r", jq[0]], input=text, text=True, capture_output=True)
        if done.returncode != 0:
            fail(f"jq: {done.stderr.strip()}")
        sys.stdout.write(done.stdout)
    else:
        sys.stdout.write(text + "\n")


def fields(values):
    out = {}
    for v in values or []:
        key, _, val = v.partition("=")
        if val.startswith("@"):
            with open(val[1:], encoding="utf-8") as f:
                val = f.read()
        out[key] = val
    return out


def api(state, args):
    pos, opt = options(args, {"--method", "-X", "-F", "--field", "--jq"}, {"--paginate"})
    if len(pos) != 1:
        fail("api takes one path")
    path = pos[0]
    method = (opt.get("--method") or opt.get("-X") or ["GET"])[0]
    body = fields(opt.get("-F", []) + opt.get("--field", []))
    jq = opt.get("--jq")
    if m := re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", path):
        comments = state["comments"].setdefault(m.group(1), [])
        if method == "GET":
            return output(comments, jq)
        if method == "POST":
            new = {"id": 1000 + sum(len(c) for c in state["comments"].values()), "body": body["body"]}
            comments.append(new)
            return output(new, jq)
    if m := re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\d+)", path):
        if method == "PATCH":
            for comments in state["comments"].values():
                for c in comments:
                    if c["id"] == int(m.group(1)):
                        c["body"] = body["body"]
                        return output(c, jq)
            fail("HTTP 404: Not Found")
    if m := re.fullmatch(r"repos/[^/]+/[^/]+/commits/([0-9a-f]+)/pulls", path):
        if method == "GET":
            return output(state["pulls"].get(m.group(1), []), jq)
    fail(f"no such route in the fake: {method} {path}")


def run(state, args):
    if args[:1] == ["list"]:
        _, opt = options(args[1:], {"--workflow", "--commit", "--status", "--limit", "--json", "--jq"})
        runs = [
            {"databaseId": r["databaseId"]}
            for r in state["runs"]
            if r["workflow"] == opt["--workflow"][0]
            and r["headSha"] == opt["--commit"][0]
            and r["conclusion"] == opt.get("--status", [r["conclusion"]])[0]
        ]
        return output(runs[: int(opt.get("--limit", ["20"])[0])], opt.get("--jq"))
    if args[:1] == ["download"]:
        pos, opt = options(args[1:], {"--name", "--dir"})
        for r in state["runs"]:
            if str(r["databaseId"]) == pos[0]:
                source = r["artifacts"].get(opt["--name"][0])
                if source is None:
                    fail("no artifact matches the name")
                shutil.copytree(source, opt["--dir"][0], dirs_exist_ok=True)
                return None
        fail(f"run {pos[0]} not found")
    fail(f"gh run {' '.join(args)} is not in the fake")


def main():
    if not os.environ.get("GH_TOKEN"):
        fail("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment variable.", 4)
    path = os.environ["FAKE_GH_STATE"]
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    for key, empty in (("comments", {}), ("pulls", {}), ("runs", []), ("calls", [])):
        state.setdefault(key, empty)
    state["calls"].append(sys.argv[1:])
    command, rest = (sys.argv[1:2] or [""])[0], sys.argv[2:]
    try:
        if command == "api":
            api(state, rest)
        elif command == "run":
            run(state, rest)
        else:
            fail(f"gh {command} is not in the fake")
    finally:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(state, f, indent=1)


if __name__ == "__main__":
    main()
