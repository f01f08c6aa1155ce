#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report a benchmark guest run written by vm/run-vm.sh in bench mode.

Reads the "ioasid-bench: {json}" lines that ioasid_bench printed on the
guest console, writes OUTDIR/results.json, prints a table of ns per 4 KiB
page with the ratio to iommufd and the ratio of /dev/ioasid's map to the
gup pin floor, and plots OUTDIR/map.png with gnuplot.

Fails (exit status 1) if the guest run failed: a timeout, a kernel splat,
an error reported by ioasid_bench, a non-zero exit of it, or no results.

Usage: bench_report.py LOGFILE OUTDIR
       bench_report.py --from-json RESULTS_JSON OUTDIR   (table and plot only)
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys

from results import TIMEOUT_MARK, find_splats, SPLAT_CONTEXT

PREFIX = "ioasid-bench: "
RE_BENCH = re.compile(r"ioasid-bench: (\{.*\})\s*$")
RE_EXITED = re.compile(r"^ioasid-guest: ioasid_bench exited (-?\d+)")
COMPLETION = "ioasid-guest: benchmark completed"
VTD_ACTIVE = "ioasid-guest: DMAR driver active"

# Presentation order of (api, domain); "type1" (VFIO type1) has no
# measurement yet.  ioasid without a domain is pinning and bookkeeping only.
SERIES = (("ioasid", "mock"), ("ioasid", "none"), ("iommufd", "mock"),
          ("type1", "mock"), ("gup", "none"))
SERIES_LABEL = {("ioasid", "none"): "ioasid, no domain",
                ("gup", "none"): "gup (pin)"}
OPS = ("map", "unmap", "pin")
BACKINGS = ("4k", "thp", "hugetlb")
# The deciding figure: /dev/ioasid's map over the gup pin floor.
TARGETS = {"4k": 1.5, "thp": 3.0, "hugetlb": 3.0}
# The fields results.json promises for every result, in this order.
RESULT_KEYS = ("api", "op", "backing", "bytes", "ns_per_4k_page", "runs",
               "domain")
COLOURS = {("ioasid", "mock"): "#1f77b4", ("ioasid", "none"): "#9ecae1",
           ("iommufd", "mock"): "#ff7f0e", ("type1", "mock"): "#2ca02c",
           ("gup", "none"): "#7f7f7f"}


class BenchError(Exception):
    pass


def parse_log(text):
    """Returns (report, problems): the report as for results.json plus
    "skipped", "notes" and "vtd"; problems lists why the run failed."""
    lines = [l.rstrip("\r\n").replace("\r", "") for l in text.split("\n")]
    problems = []
    kernel = None
    results = []
    skipped = []
    notes = []
    done = None
    exit_status = None

    for i, line in enumerate(lines):
        m = RE_EXITED.match(line)
        if m:
            exit_status = int(m.group(1))
            continue
        m = RE_BENCH.search(line)
        if not m:
            continue
        try:
            obj = json.loads(m.group(1))
        except ValueError as e:
            problems.append("line %d: unreadable result (%s): %s"
                            % (i + 1, e, line))
            continue
        kind = obj.get("type")
        if kind == "kernel":
            kernel = "%s %s" % (obj.get("release", "?"),
                                obj.get("version", "?"))
        elif kind == "result":
            missing = [k for k in RESULT_KEYS if k not in obj]
            if missing:
                problems.append("line %d: result without %s"
                                % (i + 1, ", ".join(missing)))
                continue
            r = {k: obj[k] for k in RESULT_KEYS}
            r.update({k: v for k, v in obj.items()
                      if k not in RESULT_KEYS and k != "type"})
            results.append(r)
        elif kind == "skip":
            skipped.append({"api": obj.get("api"), "reason": obj.get("msg")})
        elif kind == "note":
            notes.append(obj.get("msg", ""))
        elif kind == "error":
            problems.append("ioasid_bench: %s" % obj.get("msg"))
        elif kind == "done":
            done = obj

    if TIMEOUT_MARK in lines:
        problems.append("the guest timed out")
    for start in find_splats(lines):
        ctx = "\n".join("    " + l for l in lines[start:start + SPLAT_CONTEXT])
        problems.append("kernel report at line %d:\n%s" % (start + 1, ctx))
    if exit_status is None:
        problems.append("ioasid_bench never finished (no exit status)")
    elif exit_status != 0:
        problems.append("ioasid_bench exited %d" % exit_status)
    if done is None:
        if exit_status == 0:
            problems.append("ioasid_bench printed no completion line")
    elif done.get("results") != len(results):
        problems.append("ioasid_bench reported %s results, %d read"
                        % (done.get("results"), len(results)))
    if COMPLETION not in lines:
        problems.append("the guest never printed '%s'" % COMPLETION)
    if not results:
        problems.append("no results")
    if kernel is None:
        problems.append("no kernel identification line")

    report = {
        "kernel": kernel or "unknown",
        "results": results,
        "skipped": skipped,
        "vtd": VTD_ACTIVE in lines,
        "notes": notes,
    }
    return report, problems


def size_label(nbytes):
    if nbytes % (1 << 30) == 0:
        return "%d GiB" % (nbytes >> 30)
    if nbytes % (1 << 20) == 0:
        return "%d MiB" % (nbytes >> 20)
    return "%d B" % nbytes


def index(results):
    """(api, domain, op, backing, bytes) -> result"""
    return {(r["api"], r["domain"], r["op"], r["backing"], r["bytes"]): r
            for r in results}


def series(results):
    """The (api, domain) pairs present, in presentation order."""
    present = {(r["api"], r["domain"]) for r in results}
    return [s for s in SERIES if s in present] + sorted(present -
                                                        set(SERIES))


def buffers(results):
    """(backing, bytes) pairs present, in presentation order."""
    seen = {(r["backing"], r["bytes"]) for r in results}
    return sorted(seen, key=lambda b: (BACKINGS.index(b[0])
                                       if b[0] in BACKINGS else 99, b[1]))


def ratio(a, b):
    if a is None or b is None or b["ns_per_4k_page"] <= 0:
        return None
    return a["ns_per_4k_page"] / b["ns_per_4k_page"]


def fmt_ratio(x):
    if x is None:
        return "-"
    return "%.2fx" % x if x >= 0.1 else "%.3fx" % x


def round_ratios(a, b):
    """The ratios of @a's to @b's samples round by round (the APIs take
    turns within a round, so a slow spell of the host hits both), or []."""
    if a is None or b is None:
        return []
    sa, sb = a.get("samples_ns") or [], b.get("samples_ns") or []
    if len(sa) != len(sb):
        return []
    return [x / y for x, y in zip(sa, sb) if y > 0]


def deciding(results, domain="mock"):
    """[(backing, bytes, ioasid map / gup pin, target, met, round ratios)],
    for ioasid's map into a mock domain or, with @domain "none", into none.
    The deciding figure is the ratio of the medians."""
    idx = index(results)
    out = []
    for backing, nbytes in buffers(results):
        a = idx.get(("ioasid", domain, "map", backing, nbytes))
        b = idx.get(("gup", "none", "pin", backing, nbytes))
        x = ratio(a, b)
        target = TARGETS.get(backing)
        met = None if x is None or target is None else x <= target
        out.append((backing, nbytes, x, target, met, round_ratios(a, b)))
    return out


def table(report):
    results = report["results"]
    idx = index(results)
    out = []
    out.append("Benchmark kernel: %s" % report["kernel"])
    out.append("Guest: QEMU TCG (no KVM), %s; ns are emulated time, compare "
               "ratios" % ("with VT-d" if report.get("vtd")
                           else "without VT-d"))
    for s in report.get("skipped", []):
        out.append("Skipped %s: %s" % (s["api"], s["reason"]))
    out.append("")
    head = "%-8s %8s  %-8s %-6s %-6s %12s %11s %5s %8s" % (
        "backing", "size", "api", "domain", "op", "ns/4K page", "vs iommufd",
        "runs", "IOPTEs")
    out.append(head)
    out.append("-" * len(head))
    for backing, nbytes in buffers(results):
        for api, domain in series(results):
            for op in OPS:
                r = idx.get((api, domain, op, backing, nbytes))
                if r is None:
                    continue
                # A pin is the floor of a map: compare it with iommufd's map.
                ref = idx.get(("iommufd", "mock",
                               "unmap" if op == "unmap" else "map",
                               backing, nbytes))
                out.append("%-8s %8s  %-8s %-6s %-6s %12.1f %11s %5d %8s" % (
                    backing, size_label(nbytes), api, domain, op,
                    r["ns_per_4k_page"], fmt_ratio(ratio(r, ref)), r["runs"],
                    r.get("ioptes", "")))
        out.append("")
    out.append("vs iommufd: this row over iommufd's map (map, pin) or unmap "
               "of the same buffer; informational only, as iommufd's mock")
    out.append("domain records every half page in an xarray. IOPTEs: how "
               "many the mock domain held after ioasid's map.")
    out.append("")
    out.append("ioasid map over the gup pin floor (target: within 1.5x on "
               "4k, within 3x on hugepage backings):")
    nodom = deciding(results, "none")
    for i, (backing, nbytes, x, target, met, rounds) in enumerate(
            deciding(results)):
        verdict = ("n/a" if met is None else "met" if met else "NOT met")
        spread = ("rounds %s-%s" % (fmt_ratio(min(rounds)),
                                    fmt_ratio(max(rounds)))
                  if rounds else "")
        out.append("  %-8s %8s  %8s  target %-5s %-8s %-20s "
                   "without a domain: %s"
                   % (backing, size_label(nbytes), fmt_ratio(x),
                      "-" if target is None else "%.1fx" % target, verdict,
                      spread, fmt_ratio(nodom[i][2])))
    out.append("(rounds: the same ratio within each timed round, where the "
               "APIs ran back to back: the spread is the host's noise.)")
    return "\n".join(out)


def gp_str(s):
    """A gnuplot double-quoted string; a newline in @s breaks the line."""
    return '"%s"' % (s.replace("\\", "\\\\").replace('"', '\\"')
                     .replace("\n", "\\n"))


def plot(report, outdir):
    """Write map.png (and the gnuplot script and data beside it)."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        raise BenchError("gnuplot not found (install gnuplot-nox)")
    results = report["results"]
    idx = index(results)
    bufs = buffers(results)
    present = series(results)
    panels = [("map", "map (gup: pin, the floor)", present),
              ("unmap", "unmap", [s for s in present if s[0] != "gup"])]
    vals = [r["ns_per_4k_page"] for r in results if r["ns_per_4k_page"] > 0]
    if not vals:
        raise BenchError("nothing to plot")
    ymin = 10 ** math.floor(math.log10(min(vals)) - 0.3)
    # Above the highest bar: a decade for the ratio labels, then the key.
    top = math.ceil(math.log10(max(vals)) + 0.2)
    label_y = 10 ** (top + 0.4)
    ymax = 10 ** (top + 1.3)

    data_path = os.path.join(outdir, "map.dat")
    gp_path = os.path.join(outdir, "map.gp")
    png_path = os.path.join(outdir, "map.png")
    blocks = []
    with open(data_path, "w") as f:
        for pname, _, apis in panels:
            n = len(apis)
            width = 0.8 / max(n, 1)
            for j, (api, domain) in enumerate(apis):
                f.write("# %s %s/%s: x y xlow xhigh ylow yhigh\n"
                        % (pname, api, domain))
                rows = 0
                for i, (backing, nbytes) in enumerate(bufs):
                    op = "pin" if api == "gup" and pname == "map" else pname
                    r = idx.get((api, domain, op, backing, nbytes))
                    if r is None or r["ns_per_4k_page"] <= 0:
                        continue
                    x = i + (j - (n - 1) / 2.0) * width
                    y = r["ns_per_4k_page"]
                    f.write("%.4f %.4f %.4f %.4f %.6g %.4f\n" % (
                        x, y, x - width * 0.45, x + width * 0.45, ymin, y))
                    rows += 1
                f.write("\n\n")
                blocks.append((pname, (api, domain), rows))

    xtics = ", ".join('"%s\\n%s" %d' % (b, size_label(n), i)
                      for i, (b, n) in enumerate(bufs))
    g = []
    g.append("set terminal pngcairo size 1400,1100 font 'sans,11'")
    g.append("set output %s" % gp_str(png_path))
    g.append("set datafile missing '-'")
    g.append("set multiplot layout 2,1 title %s font 'sans,13'" % gp_str(
        "ns per 4 KiB page (log scale, lower is better), median of %s runs; "
        "mock IOMMU domains\n%s; QEMU TCG guest %s VT-d"
        % (", ".join(sorted({str(r["runs"]) for r in results})),
           report["kernel"], "with" if report.get("vtd") else "without")))
    g.append("set logscale y")
    g.append("set yrange [%g:%g]" % (ymin, ymax))
    g.append("set xrange [-0.6:%g]" % (len(bufs) - 0.4))
    g.append("set xtics (%s) nomirror scale 0" % xtics)
    g.append("set ytics nomirror")
    g.append("set grid ytics")
    g.append("set key top center horizontal")
    g.append("set bmargin 4")
    g.append("set style fill solid 0.85 border -1")
    g.append("set ylabel 'ns / 4 KiB page'")
    block = 0
    for pname, ptitle, apis in panels:
        g.append("unset label")
        g.append("set title %s" % gp_str(ptitle))
        if pname == "map":
            # The deciding figure above each buffer's bars.
            for i, (backing, nbytes, x, target, met, _) in enumerate(
                    deciding(results)):
                if x is None:
                    continue
                g.append("set label %s at %d, first %g center font "
                         "'sans,10' textcolor rgb '%s'" % (
                             gp_str("ioasid map / gup pin\n%.2fx (target %.1fx)"
                                    % (x, target)),
                             i, label_y, "#2ca02c" if met else "#d62728"))
        plots = []
        for ser in apis:
            rows = blocks[block][2]
            if rows:
                label = SERIES_LABEL.get(ser, ser[0])
                plots.append(
                    "%s index %d using 1:2:3:4:5:6 with boxxyerror "
                    "lc rgb '%s' title %s" % (gp_str(data_path), block,
                                              COLOURS.get(ser, "black"),
                                              gp_str(label)))
                plots.append(
                    "%s index %d using 1:2:($2 >= 10 ? sprintf('%%.0f', $2) "
                    ": sprintf('%%.1f', $2)) with "
                    "labels offset 0,0.7 font 'sans,9' notitle"
                    % (gp_str(data_path), block))
            block += 1
        if not plots:
            g.append("set label 'no data' at graph 0.5, 0.5 center")
            g.append("plot NaN notitle")
        else:
            g.append("plot " + ", \\\n     ".join(plots))
    g.append("unset multiplot")
    with open(gp_path, "w") as f:
        f.write("\n".join(g) + "\n")
    p = subprocess.run([gnuplot, gp_path], capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(png_path):
        raise BenchError("gnuplot failed (%s):\n%s" % (gp_path, p.stderr))
    return png_path


def write_json(report, outdir):
    path = os.path.join(outdir, "results.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    return path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 3 and argv[0] == "--from-json":
        with open(argv[1]) as f:
            report = json.load(f)
        problems = []
        outdir = argv[2]
        log = None
    elif len(argv) == 2:
        log, outdir = argv
        try:
            with open(log, errors="replace") as f:
                text = f.read()
        except OSError as e:
            print("bench: cannot read %s: %s" % (log, e), file=sys.stderr)
            return 1
        report, problems = parse_log(text)
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2

    os.makedirs(outdir, exist_ok=True)
    png = os.path.join(outdir, "map.png")
    if os.path.exists(png):
        os.remove(png)      # never leave an earlier run's plot behind
    if log is not None:
        # Whatever was measured is kept, also from a failed run.
        print("Results: %s" % write_json(report, outdir))
    if report["results"]:
        print(table(report))
        try:
            print("Plot: %s" % plot(report, outdir))
        except BenchError as e:
            problems.append(str(e))
    if problems:
        for p in problems:
            print("bench: FAIL: %s" % p, file=sys.stderr)
        if log is not None:
            print("bench: guest console log: %s" % log, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
