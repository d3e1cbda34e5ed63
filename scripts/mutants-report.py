#!/usr/bin/env python3
"""Writes MUTANTS.md from the runs in mutants.out/ (see scripts/mutants).

Arguments: the files scripts/mutants covers, in its order. Each file's run is
mutants.out/<slug>/mutants.out/ (cargo-mutants' own output) with the run's
wall time in mutants.out/<slug>/wall-seconds; a later focused run of the
mutants that new tests catch is mutants.out/<slug>.recheck/. MUTANTS.notes
says, for each missed mutant, which test catches it now or why it is
equivalent. Exits 1 if a missed mutant has neither, or if a mutant said to
be caught by a test was not seen caught.
"""

import json
import os
import subprocess
import sys

OUT = "mutants.out"


def slug(path):
    s = path.removeprefix("crates/core/src/").removesuffix(".rs")
    return s.replace("/", "-")


def lines(path):
    try:
        with open(path) as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    except FileNotFoundError:
        return []


def run_of(directory):
    """The figures and mutant names of one cargo-mutants output, or None."""
    base = os.path.join(directory, "mutants.out")
    wall = lines(os.path.join(directory, "wall-seconds"))
    if not wall:
        return None
    outcomes = os.path.join(base, "outcomes.json")
    if not os.path.exists(outcomes):
        # scripts/mutants records a file with no mutants without running it.
        return {
            "total": 0,
            "caught": [],
            "missed": [],
            "timeout": [],
            "unviable": [],
            "wall": int(wall[0]),
            "baseline": 0,
        }
    with open(outcomes) as f:
        data = json.load(f)
    run = {kind: lines(os.path.join(base, f"{kind}.txt")) for kind in ("caught", "missed", "timeout", "unviable")}
    run["total"] = data["total_mutants"]
    run["wall"] = int(wall[0])
    # The unmutated tree's build and test, when this run did it (the first
    # file of an invocation): part of the wall time, not of the mutants'.
    run["baseline"] = int(
        sum(
            phase["duration"]
            for outcome in data["outcomes"]
            if outcome["scenario"] == "Baseline"
            for phase in outcome["phase_results"]
        )
    )
    run["version"] = data.get("cargo_mutants_version", "")
    return run


def notes():
    """Each missed mutant's answer, by name; and the free notes on the run."""
    table, remarks = {}, []
    for line in lines("MUTANTS.notes"):
        if line.startswith("#"):
            continue
        if line.startswith("note\t"):
            remarks.append(line.split("\t", 1)[1])
            continue
        name, kind, text = line.split("\t", 2)
        assert kind in ("test", "equivalent"), f"MUTANTS.notes: kind {kind!r} of {name}"
        table[name] = (kind, text)
    return table, remarks


def listed(path):
    out = subprocess.run(
        ["cargo", "mutants", "--list", "-p", "latch-core", "--file", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return len([line for line in out.splitlines() if line.strip()])


def minutes(seconds):
    return f"{seconds // 60} min {seconds % 60:02d} s"


def main(files):
    explained, remarks = notes()
    runs = {f: run_of(os.path.join(OUT, slug(f))) for f in files}
    rechecks = {f: run_of(os.path.join(OUT, slug(f) + ".recheck")) for f in files}
    done = [f for f in files if runs[f] is not None]
    mutants_run = sum(runs[f]["total"] for f in done)
    mutant_time = sum(runs[f]["wall"] - runs[f]["baseline"] for f in done)
    rate = mutant_time / mutants_run if mutants_run else None
    version = next((runs[f]["version"] for f in done if runs[f].get("version")), "")
    problems = []

    out = []
    w = out.append
    w("# Mutation testing of the security-critical core\n")
    w(
        "`scripts/mutants` runs [cargo-mutants](https://mutants.rs) "
        + (f"{version} " if version else "")
        + "over the files below: each mutant is one small change to the product (a "
        "condition inverted, an operator swapped, a function body replaced by a "
        "default value), built and tested against the whole `latch-core` suite "
        "(`cargo nextest run -p latch-core`, the keyring tests against a private "
        "gnome-keyring). A mutant is *caught* when a test fails, *missed* when "
        "every test passes, *unviable* when it does not compile, and *timeout* "
        "when the tests hang (which counts as caught: the change did not go "
        "unnoticed). This file is written by the script from `mutants.out/`; "
        "the reasons come from `MUTANTS.notes`.\n"
    )
    w(
        "It is not part of `scripts/test`: on the 2-core machine it was measured on (shared with "
        "another build), a mutant takes "
        + (f"{rate:.0f} s" if rate else "about a minute")
        + " (an incremental build of `latch-core`, the sandbox and about twenty test binaries, "
        "then the suite until its first failure), so the whole set takes hours, far past CI's budget.\n"
    )

    w("## The run\n")
    w("| file | mutants | caught | missed | timeout | unviable | wall time (2 cores) | of which baseline |")
    w("|---|---:|---:|---:|---:|---:|---|---|")
    totals = [0, 0, 0, 0, 0, 0]
    not_run = []
    for f in files:
        r = runs[f]
        if r is None:
            n = listed(f)
            not_run.append((f, n))
            w(f"| `{f}` | {n} | not run | | | | | |")
            continue
        row = [r["total"], len(r["caught"]), len(r["missed"]), len(r["timeout"]), len(r["unviable"]), r["wall"]]
        totals = [a + b for a, b in zip(totals, row)]
        baseline = minutes(r["baseline"]) if r["baseline"] else ""
        w(f"| `{f}` | " + " | ".join(str(x) for x in row[:5]) + f" | {minutes(row[5])} | {baseline} |")
    w(
        f"| **run** | **{totals[0]}** | **{totals[1]}** | **{totals[2]}** | **{totals[3]}** | "
        f"**{totals[4]}** | **{minutes(totals[5])}** | |\n"
    )
    if rate:
        w(
            f"Measured rate: {rate:.0f} s per mutant (wall time of the files run less their baselines, "
            "divided by their mutants; an unviable mutant stops at the build and costs seconds, a "
            "missed one runs the whole suite). The baseline, the unmutated tree built and tested "
            "once per invocation, took the longest the first time, when the mutants' target "
            "directory was empty.\n"
        )
    if not_run:
        n = sum(c for _, c in not_run)
        estimate = f", about {minutes(int(n * rate))} at the measured rate" if rate else ""
        w(
            f"**Not run yet:** {', '.join(f'`{f}` ({c})' for f, c in not_run)}: {n} mutants{estimate}. "
            "`scripts/mutants FILE` runs one file.\n"
        )
    if "crates/core/src/secret.rs" in done and runs["crates/core/src/secret.rs"]["total"] == 0:
        w(
            "`secret.rs` has no mutants: all of its code is the body of the `secret_type!` macro, "
            "and cargo-mutants does not mutate inside `macro_rules!`. Its behaviour (redacted "
            "`Debug` and `Display`, constant-time equality over the whole value, plain-string "
            "serialization) is pinned by its own unit tests, not by this run.\n"
        )

    if remarks:
        w("Notes on this run:\n")
        for remark in remarks:
            w(f"- {remark}")
        w("")

    w("## Missed mutants and what answers each\n")
    missed = [(f, name) for f in done for name in runs[f]["missed"]]
    if not missed:
        w("None.\n")
    else:
        w("| mutant | answer | seen caught again |")
        w("|---|---|---|")
        for f, name in missed:
            kind, text = explained.get(name, (None, None))
            recheck = rechecks[f]
            if kind is None:
                problems.append(f"missed and unexplained in MUTANTS.notes: {name}")
                answer, seen = "**unexplained**", ""
            elif kind == "test":
                answer = f"caught now by {text}"
                if recheck and name in recheck["caught"] + recheck["timeout"]:
                    seen = "caught"
                elif recheck and name in recheck["missed"]:
                    seen = "**still missed**"
                    problems.append(f"said to be caught by a test, but the recheck missed it: {name}")
                else:
                    seen = "**not rechecked**"
                    problems.append(f"said to be caught by a test, but not rechecked: {name}")
            else:
                answer, seen = f"equivalent: {text}", "n/a"
            # A `|` in a cell, even in a code span, would end the cell (`replace || with &&`).
            w("| " + " | ".join(cell.replace("|", "\\|") for cell in (f"`{name}`", answer, seen)) + " |")
        w("")

    timeouts = [(f, name) for f in done for name in runs[f]["timeout"]]
    if timeouts:
        w("## Mutants that made the tests hang (counted as caught)\n")
        for _, name in timeouts:
            w(f"- `{name}`")
        w("")

    w("## How to run it\n")
    w("```")
    w("scripts/mutants                                # every file above, in order")
    w("scripts/mutants crates/core/src/pkce.rs        # one file")
    w("scripts/mutants --recheck crates/core/src/pkce.rs  # its mutants MUTANTS.notes says a test catches")
    w("scripts/mutants --report                       # rewrite this file from mutants.out/")
    w("```")
    w(
        "\nThe script installs cargo-mutants " + (version or "") + " if it is missing, starts the "
        "private keyring, runs each file at `nice 19` with one job, and writes this file.\n"
    )

    with open("MUTANTS.md", "w") as f:
        f.write("\n".join(out))
    for p in problems:
        print(f"mutants: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
