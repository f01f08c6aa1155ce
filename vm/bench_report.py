#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report the benchmark guest runs written by vm/run-vm.sh in bench mode.

Reads the "ioasid-bench: {json}" lines that ioasid_bench printed on each
guest's console (the VT-d guest's and the mock guest's), merges them into
OUTDIR/results.json, prints a table of ns per 4 KiB page per guest with the
ratios to iommufd and VFIO type1, the mock guest's page fault figures
(round trip p50/p99 and faults per second by batch, of /dev/ioasid's ring,
its read()/write(), and iommufd's fault fd), for information the packets
per second through a vdpa_sim_net device with its data address space
mapped by vhost-vdpa's IOTLB messages ("vhost-iotlb") or by an IOAS of
/dev/ioasid ("ioasid"), the targets as PASS/MISS lines, and plots
OUTDIR/map.png and OUTDIR/fault.png with gnuplot.

results.json holds, in "results", one entry per map/unmap/pin figure and
one per page fault figure, the latter exactly
  {"api": A, "op": "fault_rtt", "p50_ns": X, "p99_ns": Y, "runs": R}
  {"api": A, "op": "fault_rate", "batch": B, "faults_per_s": Z}
with A one of FAULT_APIS; and in "fault_info" what ioasid_bench said
besides about them (where the time goes, the tail, and /dev/ioasid's rate
when its mock device raises a whole batch with one ioctl).  The vDPA
figures are entries exactly
  {"api": A, "op": "vdpa_pps", "pkt_bytes": N, "batch": B, "pps": X,
   "runs": R}
with A one of VDPA_APIS, the median of R runs; "vdpa_info" holds each
run's packets per second.  Without a vdpa_sim_net device ioasid_bench
says why in a "skip" line, which "skipped" keeps and the table repeats.

Fails (exit status 1) if a guest run failed: a timeout, a kernel splat,
an error reported by ioasid_bench, a non-zero exit of it, or no results.
A missed target does not fail.

Usage: bench_report.py LOGFILE... OUTDIR
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

# Presentation order of (api, domain).  "vtd": the edu device behind the
# emulated VT-d, through VFIO; "mock": the test drivers' mock domains;
# ioasid without a domain is pinning and bookkeeping only.
SERIES = (("ioasid", "vtd"), ("iommufd", "vtd"), ("type1", "vtd"),
          ("ioasid", "mock"), ("ioasid", "none"), ("iommufd", "mock"),
          ("gup", "none"))
SERIES_LABEL = {("ioasid", "none"): "ioasid, no domain",
                ("gup", "none"): "gup (pin)"}
OPS = ("map", "unmap", "pin")
BACKINGS = ("4k", "thp", "hugetlb")
# The guests, in presentation order, and what they measure.
GUESTS = ("vtd", "mock")
GUEST_TITLE = {"vtd": "VT-d guest: QEMU's edu behind the emulated "
                      "intel-iommu, through VFIO",
               "mock": "mock guest (no VT-d): mock domains and the gup "
                       "pin floor"}
# The deciding figure of the mock guest: /dev/ioasid's map over the gup
# pin floor.
TARGETS = {"4k": 1.5, "thp": 3.0, "hugetlb": 3.0}
# The VT-d guest: (backings, op, peer, limit of ioasid over the peer).
# Huge-page-backed memory: map at least 3x faster than iommufd, unmap no
# slower; 4 KiB pages: map and unmap at least as fast as iommufd and type1.
VTD_TARGETS = ((("thp", "hugetlb"), "map", "iommufd", 1 / 3.0),
               (("thp", "hugetlb"), "unmap", "iommufd", 1.0),
               (("4k",), "map", "iommufd", 1.0),
               (("4k",), "map", "type1", 1.0),
               (("4k",), "unmap", "iommufd", 1.0),
               (("4k",), "unmap", "type1", 1.0))
# The fields results.json promises for every result, in this order.
RESULT_KEYS = ("api", "op", "backing", "bytes", "ns_per_4k_page", "runs",
               "domain")
# Page faults: the fields of each op, in this order, and nothing else.
FAULT_KEYS = {"fault_rtt": ("api", "op", "p50_ns", "p99_ns", "runs"),
              "fault_rate": ("api", "op", "batch", "faults_per_s")}
FAULT_APIS = ("ioasid-ring", "ioasid-rw", "iommufd")
# vDPA: the fields of a figure, in this order, and nothing else.
VDPA_OP = "vdpa_pps"
VDPA_KEYS = ("api", "op", "pkt_bytes", "batch", "pps", "runs")
VDPA_APIS = ("vhost-iotlb", "ioasid")
FAULT_BATCHES = (1, 16, 256)
FAULT_COLOURS = {"ioasid-ring": "#1f77b4", "ioasid-rw": "#9ecae1",
                 "iommufd": "#ff7f0e"}
# The goals of the page fault figures, ioasid-ring against iommufd in the
# same run: the round trip's p50 at most half, faults per second at batch
# 256 at least 4 times.
FAULT_RTT_LIMIT = 0.5
FAULT_RATE_BATCH = 256
FAULT_RATE_MIN = 4.0
COLOURS = {("ioasid", "mock"): "#1f77b4", ("ioasid", "none"): "#9ecae1",
           ("iommufd", "mock"): "#ff7f0e", ("gup", "none"): "#7f7f7f",
           ("ioasid", "vtd"): "#1f77b4", ("iommufd", "vtd"): "#ff7f0e",
           ("type1", "vtd"): "#2ca02c"}


class BenchError(Exception):
    pass


def parse_log(text):
    """Returns (report, problems) of one guest's console: the report as
    for results.json plus "mode" (the guest: "vtd" or "mock"), "skipped",
    "notes" and "vtd"; problems lists why the run failed."""
    lines = [l.rstrip("\r\n").replace("\r", "") for l in text.split("\n")]
    problems = []
    kernel = None
    results = []
    skipped = []
    notes = []
    fault_info = []
    vdpa_info = []
    done = None
    exit_status = None
    mode = None

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
            mode = obj.get("mode", "mock")
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
        elif kind == "fault":
            keys = FAULT_KEYS.get(obj.get("op"))
            if keys is None:
                problems.append("line %d: page fault figure of unknown op "
                                "%r" % (i + 1, obj.get("op")))
                continue
            missing = [k for k in keys if k not in obj]
            if missing:
                problems.append("line %d: %s without %s"
                                % (i + 1, obj["op"], ", ".join(missing)))
                continue
            results.append({k: obj[k] for k in keys})
        elif kind == "fault_info":
            fault_info.append({k: v for k, v in obj.items() if k != "type"})
        elif kind == "vdpa":
            if obj.get("op") != VDPA_OP:
                problems.append("line %d: vDPA figure of unknown op %r"
                                % (i + 1, obj.get("op")))
                continue
            missing = [k for k in VDPA_KEYS if k not in obj]
            if missing:
                problems.append("line %d: %s without %s"
                                % (i + 1, VDPA_OP, ", ".join(missing)))
                continue
            results.append({k: obj[k] for k in VDPA_KEYS})
        elif kind == "vdpa_info":
            vdpa_info.append({k: v for k, v in obj.items() if k != "type"})
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

    vtd = VTD_ACTIVE in lines
    if mode == "vtd" and not vtd:
        problems.append("the VT-d guest has no active DMAR driver")
    report = {
        "kernel": kernel or "unknown",
        "mode": mode or "unknown",
        "results": results,
        "skipped": skipped,
        "vtd": vtd,
        "notes": notes,
        "fault_info": fault_info,
        "vdpa_info": vdpa_info,
    }
    return report, problems


def merge(parsed):
    """One report of the guests' [(log, report, problems)]: returns
    (report, problems), each problem naming its guest.  The report holds
    every result, and "guests": [{"mode", "log", "vtd", "notes"}]."""
    problems = []
    kernels = []
    results = []
    skipped = []
    guests = []
    fault_info = []
    vdpa_info = []
    seen = {}
    for log, rep, probs in parsed:
        name = "%s guest (%s)" % (rep["mode"], log)
        problems += ["%s: %s" % (name, p) for p in probs]
        if rep["kernel"] not in kernels:
            kernels.append(rep["kernel"])
        for r in rep["results"]:
            if is_vdpa(r):
                key = (r["api"], r["op"], r["pkt_bytes"], r["batch"])
                if key in seen:
                    problems.append("%s: vDPA %s %d bytes batch %d measured "
                                    "by the %s guest too"
                                    % (name, r["api"], r["pkt_bytes"],
                                       r["batch"], seen[key]))
                    continue
                seen[key] = rep["mode"]
                results.append(r)
                continue
            if is_fault(r):
                key = (r["api"], r["op"], r.get("batch"))
                if key in seen:
                    problems.append("%s: %s %s%s measured by the %s guest "
                                    "too" % (name, r["api"], r["op"],
                                             fault_batch_label(r),
                                             seen[key]))
                    continue
                seen[key] = rep["mode"]
                results.append(r)
                continue
            key = (r["api"], r["domain"], r["op"], r["backing"], r["bytes"])
            if key in seen:
                problems.append("%s: %s/%s %s of %s %s measured by the %s "
                                "guest too" % (name, r["api"], r["domain"],
                                               r["op"], r["backing"],
                                               size_label(r["bytes"]),
                                               seen[key]))
                continue
            seen[key] = rep["mode"]
            results.append(r)
        skipped += rep["skipped"]
        fault_info += rep.get("fault_info", [])
        vdpa_info += rep.get("vdpa_info", [])
        guests.append({"mode": rep["mode"], "log": log, "vtd": rep["vtd"],
                       "notes": rep["notes"]})
    report = {
        "kernel": " / ".join(kernels) if kernels else "unknown",
        "results": results,
        "skipped": skipped,
        "guests": guests,
        "fault_info": fault_info,
        "vdpa_info": vdpa_info,
    }
    return report, problems


def is_fault(r):
    """Whether result @r is a page fault figure."""
    return r.get("op") in FAULT_KEYS


def is_vdpa(r):
    """Whether result @r is a vDPA packets-per-second figure."""
    return r.get("op") == VDPA_OP


def map_results(results):
    """The map, unmap and pin figures of @results."""
    return [r for r in results if not is_fault(r) and not is_vdpa(r)]


def fault_batch_label(r):
    return " batch %s" % r["batch"] if "batch" in r else ""


def guest_of(r):
    """The guest that measures result @r."""
    if is_fault(r):
        return "mock"
    return "vtd" if r["domain"] == "vtd" else "mock"


def size_label(nbytes):
    if nbytes % (1 << 30) == 0:
        return "%d GiB" % (nbytes >> 30)
    if nbytes % (1 << 20) == 0:
        return "%d MiB" % (nbytes >> 20)
    return "%d B" % nbytes


def index(results):
    """(api, domain, op, backing, bytes) -> result"""
    return {(r["api"], r["domain"], r["op"], r["backing"], r["bytes"]): r
            for r in map_results(results)}


def series(results):
    """The (api, domain) pairs present, in presentation order."""
    present = {(r["api"], r["domain"]) for r in map_results(results)}
    return [s for s in SERIES if s in present] + sorted(present -
                                                        set(SERIES))


def buffers(results):
    """(backing, bytes) pairs present, in presentation order."""
    seen = {(r["backing"], r["bytes"]) for r in map_results(results)}
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
        if a is None or b is None:
            continue
        x = ratio(a, b)
        target = TARGETS.get(backing)
        met = None if x is None or target is None else x <= target
        out.append((backing, nbytes, x, target, met, round_ratios(a, b)))
    return out


def best_ratio(a, b):
    """@a's fastest run over @b's, or None."""
    if a is None or b is None or not a.get("min_ns") or not b.get("min_ns"):
        return None
    return a["min_ns"] / b["min_ns"]


def vtd_targets(results):
    """[(backing, bytes, op, peer, ioasid / peer, limit, met, best runs)]
    of the VT-d guest: ratios of the medians, ioasid over the peer on the
    same VT-d domain type; best runs is the ratio of the fastest runs."""
    idx = index(results)
    out = []
    for backing, nbytes in buffers(results):
        for backings, op, peer, limit in VTD_TARGETS:
            if backing not in backings:
                continue
            a = idx.get(("ioasid", "vtd", op, backing, nbytes))
            b = idx.get((peer, "vtd", op, backing, nbytes))
            if a is None and b is None:
                continue
            x = ratio(a, b)
            met = None if x is None else x <= limit + 1e-9
            out.append((backing, nbytes, op, peer, x, limit, met,
                        best_ratio(a, b)))
    return out


def fmt_limit(limit):
    if limit < 1:
        return "<= %.2fx (%.0fx faster)" % (limit, 1 / limit)
    return "<= %.2fx" % limit


def verdict(met):
    return "n/a " if met is None else "PASS" if met else "MISS"


def target_lines(results):
    """The targets as PASS/MISS lines with their figures."""
    out = []
    vt = vtd_targets(results)
    if vt:
        out.append("VT-d guest: ioasid over the peer on the same VT-d "
                   "domain type (ratio of medians; lower is better):")
        for backing, nbytes, op, peer, x, limit, met, best in vt:
            out.append("  %s vtd   %-7s %7s  %-30s %8s  target %-22s %s"
                       % (verdict(met), backing, size_label(nbytes),
                          "ioasid %s / %s %s" % (op, peer, op),
                          fmt_ratio(x), fmt_limit(limit),
                          "" if best is None else
                          "fastest runs %s" % fmt_ratio(best)))
    dec = deciding(results)
    if dec:
        nodom = {(d[0], d[1]): d[2] for d in deciding(results, "none")}
        out.append("mock guest: ioasid map over the gup pin floor "
                   "(target: within 1.5x on 4k, within 3x on hugepage "
                   "backings):")
        for backing, nbytes, x, target, met, rounds in dec:
            spread = ("rounds %s-%s" % (fmt_ratio(min(rounds)),
                                        fmt_ratio(max(rounds)))
                      if rounds else "")
            out.append("  %s mock  %-7s %7s  %-30s %8s  target %-22s "
                       "%-20s without a domain: %s"
                       % (verdict(met), backing, size_label(nbytes),
                          "ioasid map / gup pin", fmt_ratio(x), "-" if target is None
                          else fmt_limit(target), spread,
                          fmt_ratio(nodom.get((backing, nbytes)))))
        out.append("  (rounds: the same ratio within each timed round, where "
                   "the APIs ran back to back: the spread is the host's "
                   "noise.)")
    ft = fault_targets(results)
    if ft:
        out.append("mock guest: page faults, ioasid-ring against iommufd's "
                   "fault fd in the same run:")
        for what, x, limit, met in ft:
            out.append("  %s mock  %-47s %8s  target %s"
                       % (verdict(met), what, fmt_ratio(x), limit))
    return out


def fault_index(results):
    """(api, op, batch or None) -> page fault figure"""
    return {(r["api"], r["op"], r.get("batch")): r
            for r in results if is_fault(r)}


def fault_apis(results):
    """The page fault APIs present, in presentation order."""
    present = {r["api"] for r in results if is_fault(r)}
    return ([a for a in FAULT_APIS if a in present] +
            sorted(present - set(FAULT_APIS)))


def fault_batches(results):
    return sorted({r["batch"] for r in results
                   if is_fault(r) and r["op"] == "fault_rate"})


def fault_rtt_ratio(a, b):
    """@a's round trip p50 over @b's, or None."""
    if a is None or b is None or b["p50_ns"] <= 0:
        return None
    return a["p50_ns"] / b["p50_ns"]


def fault_rate_ratio(a, b):
    """@a's faults per second over @b's, or None."""
    if a is None or b is None or b["faults_per_s"] <= 0:
        return None
    return a["faults_per_s"] / b["faults_per_s"]


def fault_targets(results):
    """[(what, ratio, limit text, met)]: the page fault goals, or []."""
    idx = fault_index(results)
    if not idx:
        return []
    ring = idx.get(("ioasid-ring", "fault_rtt", None))
    peer = idx.get(("iommufd", "fault_rtt", None))
    x = fault_rtt_ratio(ring, peer)
    out = [("round trip p50 ioasid-ring / iommufd", x,
            "<= %.2fx" % FAULT_RTT_LIMIT,
            None if x is None else x <= FAULT_RTT_LIMIT + 1e-9)]
    ring = idx.get(("ioasid-ring", "fault_rate", FAULT_RATE_BATCH))
    peer = idx.get(("iommufd", "fault_rate", FAULT_RATE_BATCH))
    x = fault_rate_ratio(ring, peer)
    out.append(("faults/s at batch %d ioasid-ring / iommufd"
                % FAULT_RATE_BATCH, x, ">= %.1fx" % FAULT_RATE_MIN,
                None if x is None else x >= FAULT_RATE_MIN - 1e-9))
    return out


def fmt_ns(ns):
    if ns < 0:
        return "-" + fmt_ns(-ns)
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.1f us" % (ns / 1e3)
    return "%d ns" % ns


def fault_info_of(report, api, op, batch, raise_kind="ioctl"):
    for i in report.get("fault_info", []):
        if (i.get("api"), i.get("op"), i.get("batch"),
                i.get("raise")) == (api, op, batch, raise_kind):
            return i
    return None


def fault_table(report):
    """The page fault figures as lines of text, or []."""
    results = report["results"]
    idx = fault_index(results)
    apis = fault_apis(results)
    if not apis:
        return []
    out = ["", "Page faults, mock guest: the mock device raises page "
           "request groups of one request, one trigger ioctl each, for "
           "every API;",
           "one thread raises, waits once (eventfd or poll()), takes the "
           "records and answers them all in one call."]
    peer_rtt = idx.get(("iommufd", "fault_rtt", None))
    head = "%-12s %12s %12s %9s %15s %13s %13s" % (
        "api", "RTT p50", "RTT p99", "runs", "p50 vs iommufd",
        "trigger p50", "p50 - trigger")
    out += ["", "Round trip (raised -> delivered -> answered -> device "
            "resumes):", head, "-" * len(head)]
    for api in apis:
        r = idx.get((api, "fault_rtt", None))
        if r is None:
            continue
        floor = fault_info_of(report, api, "trigger_floor", 1)
        fp50 = floor.get("p50_ns") if floor else None
        out.append("%-12s %12s %12s %9d %15s %13s %13s"
                   % (api, fmt_ns(r["p50_ns"]), fmt_ns(r["p99_ns"]),
                      r["runs"], fmt_ratio(fault_rtt_ratio(r, peer_rtt)),
                      "-" if fp50 is None else fmt_ns(fp50),
                      "-" if fp50 is None else
                      fmt_ns(r["p50_ns"] - fp50)))
    if any(fault_info_of(report, a, "trigger_floor", 1) for a in apis):
        out.append("trigger: the trigger ioctl alone on a second device of "
                   "the same test driver, refused before any queue (the "
                   "ioctl and the mock")
        out.append("device's bookkeeping); p50 - trigger: what is left for "
                   "the delivery, the consumer and the answer.")
    batches = fault_batches(results)
    if batches:
        head = "%-12s" % "api" + "".join(
            " %12s %6s" % ("batch %d/s" % b, "vs fd") for b in batches)
        out += ["", "Sustained page requests answered per second "
                "(vs fd: over iommufd's fault fd at the same batch):",
                head, "-" * len(head)]
        for api in apis:
            cols = []
            for b in batches:
                r = idx.get((api, "fault_rate", b))
                peer = idx.get(("iommufd", "fault_rate", b))
                cols.append(" %12s %6s" % (
                    "-" if r is None else "%.0f" % r["faults_per_s"],
                    fmt_ratio(fault_rate_ratio(r, peer))))
            out.append("%-12s" % api + "".join(cols))
    lines = []
    for api in apis:
        for b in batches:
            i = fault_info_of(report, api, "fault_rate", b)
            if i and "raise_ns_per_fault" in i:
                lines.append("  %-12s batch %-4d raising %10s, handling "
                             "%10s per fault"
                             % (api, b, fmt_ns(i["raise_ns_per_fault"]),
                                fmt_ns(i["handle_ns_per_fault"])))
    if lines:
        out += ["", "Where the time goes (raising: the trigger ioctls and "
                "the delivery into the queue; handling: waiting, taking, "
                "answering):"] + lines
    lines = []
    for api in apis:
        for b in batches:
            i = fault_info_of(report, api, "fault_rate", b, "burst")
            if i and i.get("faults_per_s"):
                lines.append("  %-12s batch %-4d %12.0f/s" % (
                    api, b, i["faults_per_s"]))
    if lines:
        out += ["", "For information: /dev/ioasid's mock device raising a "
                "whole batch with one IOASID_TEST_IOPF_INJECT (iommufd's "
                "trigger raises one group per ioctl):"] + lines
    return out


def vdpa_index(results):
    """(api, pkt_bytes, batch) -> vDPA figure"""
    return {(r["api"], r["pkt_bytes"], r["batch"]): r
            for r in results if is_vdpa(r)}


def vdpa_samples(report, api, pkt_bytes, batch):
    """The packets per second of each run, in run order, or []."""
    for i in report.get("vdpa_info", []):
        if (i.get("api"), i.get("op"), i.get("pkt_bytes"),
                i.get("batch")) == (api, VDPA_OP, pkt_bytes, batch):
            return i.get("samples_pps") or []
    return []


def vdpa_ratios(report):
    """[(pkt_bytes, batch, iotlb, ioasid, ioasid / iotlb, run ratios)]:
    each configuration measured, the figures None where missing; the run
    ratios are ioasid's over vhost-iotlb's run by run (the APIs take turns
    within a run), or []."""
    idx = vdpa_index(report["results"])
    out = []
    for nbytes, batch in sorted({(k[1], k[2]) for k in idx}):
        a = idx.get(("vhost-iotlb", nbytes, batch))
        b = idx.get(("ioasid", nbytes, batch))
        x = (b["pps"] / a["pps"] if a is not None and b is not None and
             a["pps"] > 0 else None)
        sa = vdpa_samples(report, "vhost-iotlb", nbytes, batch)
        sb = vdpa_samples(report, "ioasid", nbytes, batch)
        runs = ([y / z for y, z in zip(sb, sa) if z > 0]
                if sa and len(sa) == len(sb) else [])
        out.append((nbytes, batch, a, b, x, runs))
    return out


def vdpa_table(report):
    """The vDPA figures as lines of text, or [] when there are none and
    nothing said why."""
    rows = vdpa_ratios(report)
    skips = [s for s in report.get("skipped", [])
             if str(s.get("api", "")).startswith("vdpa")]
    if not rows and not skips:
        return []
    out = ["", "vDPA, for information (no target): packets per second "
           "through vdpa_sim_net, each sent on TX and looped back to RX,",
           "the data virtqueues' ASID 0 mapped by vhost-vdpa's IOTLB "
           "messages (vhost-iotlb) or attached to an IOAS of /dev/ioasid "
           "(ioasid);",
           "BATCH packets per kick, the next batch once all are back; "
           "median of the runs, the APIs taking turns."]
    for s in skips:
        out.append("Skipped %s: %s" % (s["api"], s["reason"]))
    if not rows:
        return out
    head = "%-10s %6s %14s %14s %18s %5s  %s" % (
        "frame", "batch", "vhost-iotlb/s", "ioasid/s", "ioasid/vhost-iotlb",
        "runs", "run by run")
    out += ["", head, "-" * len(head)]
    for nbytes, batch, a, b, x, runs in rows:
        out.append("%-10s %6d %14s %14s %18s %5s  %s" % (
            "%d B" % nbytes, batch,
            "-" if a is None else "%.0f" % a["pps"],
            "-" if b is None else "%.0f" % b["pps"], fmt_ratio(x),
            (a or b)["runs"],
            "%s-%s" % (fmt_ratio(min(runs)), fmt_ratio(max(runs)))
            if runs else ""))
    out.append("run by run: ioasid's packets per second over vhost-iotlb's "
               "in each run (they ran back to back), lowest and highest.")
    return out


def guests_of(report):
    """The guests of @report's results, in presentation order."""
    present = {guest_of(r) for r in map_results(report["results"])}
    return [g for g in GUESTS if g in present]


def table(report):
    results = map_results(report["results"])
    idx = index(results)
    out = []
    out.append("Benchmark kernel: %s" % report["kernel"])
    out.append("Guests: QEMU TCG (no KVM); ns are emulated time, compare "
               "ratios")
    for s in report.get("skipped", []):
        out.append("Skipped %s: %s" % (s["api"], s["reason"]))
    head = "%-8s %8s  %-8s %-6s %-6s %12s %11s %9s %5s %8s" % (
        "backing", "size", "api", "domain", "op", "ns/4K page", "vs iommufd",
        "vs type1", "runs", "IOPTEs")
    for guest in guests_of(report):
        rows = [r for r in results if guest_of(r) == guest]
        out.append("")
        out.append(GUEST_TITLE.get(guest, guest))
        out.append(head)
        out.append("-" * len(head))
        for backing, nbytes in buffers(rows):
            for api, domain in series(rows):
                for op in OPS:
                    r = idx.get((api, domain, op, backing, nbytes))
                    if r is None:
                        continue
                    # A pin is the floor of a map: compare it with the map.
                    peer_op = "unmap" if op == "unmap" else "map"
                    peer_dom = "vtd" if guest == "vtd" else "mock"
                    ref = idx.get(("iommufd", peer_dom, peer_op, backing,
                                   nbytes))
                    t1 = idx.get(("type1", peer_dom, peer_op, backing,
                                  nbytes))
                    out.append(
                        "%-8s %8s  %-8s %-6s %-6s %12.1f %11s %9s %5d %8s"
                        % (backing, size_label(nbytes), api, domain, op,
                           r["ns_per_4k_page"], fmt_ratio(ratio(r, ref)),
                           fmt_ratio(ratio(r, t1)), r["runs"],
                           r.get("ioptes", "")))
            out.append("")
        if guest == "vtd":
            out.append("vs iommufd, vs type1: this row over iommufd's or "
                       "type1's map or unmap of the same buffer on the same "
                       "VT-d domain type.")
        else:
            out.append("vs iommufd: this row over iommufd's map (map, pin) "
                       "or unmap of the same buffer; informational only, as "
                       "iommufd's mock")
            out.append("domain records every half page in an xarray. "
                       "IOPTEs: how many the mock domain held after "
                       "ioasid's map.")
    out += fault_table(report)
    out += vdpa_table(report)
    out.append("")
    out.append("Targets (a MISS is reported, it does not fail the run):")
    out += target_lines(report["results"])
    return "\n".join(l.rstrip() for l in out)


def gp_str(s):
    """A gnuplot double-quoted string; a newline in @s breaks the line."""
    return '"%s"' % (s.replace("\\", "\\\\").replace('"', '\\"')
                     .replace("\n", "\\n"))


def panel_labels(results, guest, op):
    """[(buffer index, text, met)]: the targets above each buffer's bars."""
    bufs = buffers([r for r in results if guest_of(r) == guest])
    out = []
    if guest == "mock" and op == "map":
        for backing, nbytes, x, target, met, _ in deciding(results):
            if x is not None and (backing, nbytes) in bufs:
                out.append((bufs.index((backing, nbytes)),
                            "/ gup\n%s" % fmt_ratio(x), met))
    elif guest == "vtd":
        per = {}
        for backing, nbytes, o, peer, x, limit, met, _ in \
                vtd_targets(results):
            if o != op or x is None or (backing, nbytes) not in bufs:
                continue
            i = bufs.index((backing, nbytes))
            text, ok = per.get(i, (None, True))
            line = "/ %s %s" % (peer, fmt_ratio(x))
            per[i] = (line if text is None else text + "\n" + line,
                      ok and met)
        out = [(i, t, m) for i, (t, m) in sorted(per.items())]
    return out


def plot(report, outdir):
    """Write map.png (and the gnuplot script and data beside it): one
    column per guest, map above unmap."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        raise BenchError("gnuplot not found (install gnuplot-nox)")
    results = map_results(report["results"])
    idx = index(results)
    guests = guests_of(report)
    panels = []
    for pname in ("map", "unmap"):
        for guest in guests:
            rows = [r for r in results if guest_of(r) == guest]
            apis = [s for s in series(rows)
                    if pname == "map" or s[0] != "gup"]
            if guest == "vtd":
                title = ("%s, VT-d domain (edu through VFIO); above the "
                         "bars: ioasid over the peer, green when the "
                         "target is met" % pname)
            elif pname == "map":
                title = ("map (gup: pin, the floor), mock domains; above "
                         "the bars: ioasid map over gup pin, green when "
                         "the target is met")
            else:
                title = "unmap, mock domains"
            panels.append((pname, guest, title, apis, buffers(rows)))
    vals = [r["ns_per_4k_page"] for r in results if r["ns_per_4k_page"] > 0]
    if not vals:
        raise BenchError("nothing to plot")
    ymin = 10 ** math.floor(math.log10(min(vals)) - 0.3)
    # Above the highest bar: a decade for the ratio labels, then the key.
    top = math.ceil(math.log10(max(vals)) + 0.2)
    label_y = 10 ** (top + 0.5)
    ymax = 10 ** (top + 1.6)

    data_path = os.path.join(outdir, "map.dat")
    gp_path = os.path.join(outdir, "map.gp")
    png_path = os.path.join(outdir, "map.png")
    blocks = []
    with open(data_path, "w") as f:
        for pname, guest, _, apis, bufs in panels:
            n = len(apis)
            width = 0.8 / max(n, 1)
            for j, (api, domain) in enumerate(apis):
                f.write("# %s %s %s/%s: x y xlow xhigh ylow yhigh\n"
                        % (pname, guest, api, domain))
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
                if not rows:
                    # gnuplot would not count an empty block.
                    f.write("- - - - - -\n")
                f.write("\n\n")
                blocks.append(rows)

    g = []
    g.append("set terminal pngcairo size %d,1100 font 'sans,11'"
             % (1100 * len(guests) if len(guests) > 1 else 1400))
    g.append("set output %s" % gp_str(png_path))
    g.append("set datafile missing '-'")
    g.append("set multiplot layout 2,%d title %s font 'sans,13'" % (
        len(guests), gp_str(
            "ns per 4 KiB page (log scale, lower is better), median of %s "
            "runs; QEMU TCG guests\n%s"
            % (", ".join(sorted({str(r["runs"]) for r in results})),
               report["kernel"]))))
    g.append("set logscale y")
    g.append("set yrange [%g:%g]" % (ymin, ymax))
    g.append("set ytics nomirror")
    g.append("set grid ytics")
    g.append("set key top center horizontal")
    g.append("set bmargin 4")
    g.append("set style fill solid 0.85 border -1")
    g.append("set ylabel 'ns / 4 KiB page'")
    block = 0
    for pname, guest, ptitle, apis, bufs in panels:
        g.append("unset label")
        g.append("set title %s" % gp_str(ptitle))
        g.append("set xrange [-0.6:%g]" % (len(bufs) - 0.4))
        g.append("set xtics (%s) nomirror scale 0" % ", ".join(
            '"%s\\n%s" %d' % (b, size_label(n), i)
            for i, (b, n) in enumerate(bufs)))
        for i, text, met in panel_labels(results, guest, pname):
            g.append("set label %s at %d, first %g center font "
                     "'sans,9' textcolor rgb '%s'" % (
                         gp_str(text), i, label_y,
                         "#2ca02c" if met else "#d62728"))
        plots = []
        for ser in apis:
            if blocks[block]:
                label = SERIES_LABEL.get(ser, ser[0])
                plots.append(
                    "%s index %d using 1:2:3:4:5:6 with boxxyerror "
                    "lc rgb '%s' title %s" % (gp_str(data_path), block,
                                              COLOURS.get(ser, "black"),
                                              gp_str(label)))
                plots.append(
                    "%s index %d using 1:2:($2 >= 10 ? sprintf('%%.0f', $2) "
                    ": sprintf('%%.1f', $2)) with "
                    "labels offset 0,0.7 font 'sans,8' notitle"
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


def fmt_rate(x):
    if x >= 1e6:
        return "%.2fM" % (x / 1e6)
    if x >= 1e3:
        return "%.1fk" % (x / 1e3)
    return "%.0f" % x


def log_range(vals):
    """(ymin, label y, ymax) of a log axis over @vals, with room above the
    bars for their labels and the key."""
    ymin = 10 ** math.floor(math.log10(min(vals)) - 0.3)
    top = math.log10(max(vals))
    return ymin, 10 ** (top + 0.35), 10 ** (top + 1.2)


def plot_faults(report, outdir):
    """Write fault.png (and its gnuplot script and data): the round trip's
    p50 and p99 by API, and faults per second by batch and API."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        raise BenchError("gnuplot not found (install gnuplot-nox)")
    results = report["results"]
    idx = fault_index(results)
    apis = fault_apis(results)
    batches = fault_batches(results)
    rtts = [r for r in results if is_fault(r) and r["op"] == "fault_rtt"
            and r["p50_ns"] > 0 and r["p99_ns"] > 0]
    rates = [r for r in results if is_fault(r) and r["op"] == "fault_rate"
             and r["faults_per_s"] > 0]
    if not rtts and not rates:
        raise BenchError("no page fault figures to plot")
    data_path = os.path.join(outdir, "fault.dat")
    gp_path = os.path.join(outdir, "fault.gp")
    png_path = os.path.join(outdir, "fault.png")
    g = ["set terminal pngcairo size 1600,700 font 'sans,11'",
         "set output %s" % gp_str(png_path),
         "set datafile missing '-'",
         "set multiplot layout 1,2 title %s font 'sans,13'" % gp_str(
             "Page requests of a mock PRI device, one trigger ioctl per "
             "group, one thread; QEMU TCG guest (compare ratios)\n%s"
             % report["kernel"]),
         "set logscale y", "set ytics nomirror", "set grid ytics",
         "set key top center horizontal", "set bmargin 4",
         "set style fill solid 0.85 border -1"]
    blocks = []     # (panel, title, colour, fill)
    with open(data_path, "w") as f:
        # Left: the round trip, p50 and p99 side by side for each API.
        for j, (key, fill) in enumerate((("p50_ns", "solid 0.85"),
                                          ("p99_ns", "solid 0.35"))):
            for api in apis:
                f.write("# rtt %s %s: x y xlow xhigh ylow yhigh\n"
                        % (key, api))
                r = idx.get((api, "fault_rtt", None))
                i = apis.index(api)
                if r is None or r[key] <= 0:
                    f.write("- - - - - -\n\n\n")
                else:
                    x = i + (j - 0.5) * 0.35
                    f.write("%.4f %.4f %.4f %.4f %.6g %.4f\n\n\n" % (
                        x, r[key], x - 0.16, x + 0.16, 1, r[key]))
                blocks.append(("rtt", "%s %s" % (api, key[:3]),
                               FAULT_COLOURS.get(api, "black"), fill))
        # Right: faults per second, the APIs side by side at each batch.
        n = max(len(apis), 1)
        width = 0.8 / n  # as the labels in the plot below
        for j, api in enumerate(apis):
            f.write("# rate %s: x y xlow xhigh ylow yhigh\n" % api)
            rows = 0
            for i, b in enumerate(batches):
                r = idx.get((api, "fault_rate", b))
                if r is None or r["faults_per_s"] <= 0:
                    continue
                x = i + (j - (n - 1) / 2.0) * width
                f.write("%.4f %.4f %.4f %.4f %.6g %.4f\n" % (
                    x, r["faults_per_s"], x - width * 0.45,
                    x + width * 0.45, 1, r["faults_per_s"]))
                rows += 1
            if not rows:
                f.write("- - - - - -\n")
            f.write("\n\n")
            blocks.append(("rate", api, FAULT_COLOURS.get(api, "black"),
                           "solid 0.85"))

    for panel in ("rtt", "rate"):
        g.append("unset label")
        if panel == "rtt":
            vals = [r[k] for r in rtts for k in ("p50_ns", "p99_ns")]
            g.append("set title %s" % gp_str(
                "round trip: raised -> delivered -> answered -> device "
                "resumes (dark: p50, light: p99); lower is better"))
            g.append("set ylabel 'ns'")
            g.append("set format y '%.0f'")
            g.append("set xrange [-0.6:%g]" % (len(apis) - 0.4))
            g.append("set xtics (%s) nomirror scale 0" % ", ".join(
                "%s %d" % (gp_str(a), i) for i, a in enumerate(apis)))
            peer = idx.get(("iommufd", "fault_rtt", None))
            for i, api in enumerate(apis):
                r = idx.get((api, "fault_rtt", None))
                if r is None:
                    continue
                text = "%s\n%s" % (fmt_ns(r["p50_ns"]), fmt_ns(r["p99_ns"]))
                x = fault_rtt_ratio(r, peer)
                colour = "black"
                if x is not None and api != "iommufd":
                    text += "\n/ iommufd %s" % fmt_ratio(x)
                    if api == "ioasid-ring":
                        colour = ("#2ca02c" if x <= FAULT_RTT_LIMIT + 1e-9
                                  else "#d62728")
                if vals:
                    g.append("set label %s at %d, first %g center font "
                             "'sans,9' textcolor rgb '%s'"
                             % (gp_str(text), i, log_range(vals)[1],
                                colour))
        else:
            vals = [r["faults_per_s"] for r in rates]
            g.append("set title %s" % gp_str(
                "page requests answered per second, by batch (one answer "
                "call per batch); higher is better"))
            g.append("set ylabel 'faults / s'")
            g.append("set format y '%.0s%c'")
            g.append("set xrange [-0.6:%g]" % (len(batches) - 0.4))
            g.append("set xtics (%s) nomirror scale 0" % ", ".join(
                '"batch %d" %d' % (b, i) for i, b in enumerate(batches)))
            for i, b in enumerate(batches):
                ring = idx.get(("ioasid-ring", "fault_rate", b))
                peer = idx.get(("iommufd", "fault_rate", b))
                x = fault_rate_ratio(ring, peer)
                if x is None or not vals:
                    continue
                colour = "black"
                if b == FAULT_RATE_BATCH:
                    colour = ("#2ca02c" if x >= FAULT_RATE_MIN - 1e-9
                              else "#d62728")
                g.append("set label %s at %d, first %g center font "
                         "'sans,9' textcolor rgb '%s'"
                         % (gp_str("ring / iommufd %s" % fmt_ratio(x)), i,
                            log_range(vals)[1], colour))
            n = max(len(apis), 1)
            for j, api in enumerate(apis):
                for i, b in enumerate(batches):
                    r = idx.get((api, "fault_rate", b))
                    if r is None or r["faults_per_s"] <= 0:
                        continue
                    g.append("set label %s at %.4f, first %g center "
                             "offset 0,0.7 font 'sans,8'"
                             % (gp_str(fmt_rate(r["faults_per_s"])),
                                i + (j - (n - 1) / 2.0) * 0.8 / n,
                                r["faults_per_s"]))
        if vals:
            ymin, _, ymax = log_range(vals)
            g.append("set yrange [%g:%g]" % (ymin, ymax))
        plots = []
        for k, (p, title, colour, fill) in enumerate(blocks):
            if p != panel:
                continue
            # The key names each API once.
            name = title.split(" ")[0]
            keyed = panel == "rate" or title.endswith("p50")
            plots.append("%s index %d using 1:2:3:4:(%g):6 with boxxyerror "
                         "fs %s lc rgb '%s' %s"
                         % (gp_str(data_path), k,
                            ymin if vals else 1, fill, colour,
                            "title %s" % gp_str(name) if keyed
                            else "notitle"))
        if not vals or not plots:
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
    logs = None
    if len(argv) == 3 and argv[0] == "--from-json":
        with open(argv[1]) as f:
            report = json.load(f)
        problems = []
        outdir = argv[2]
    elif len(argv) >= 2 and not argv[0].startswith("-"):
        logs, outdir = argv[:-1], argv[-1]
        parsed = []
        for log in logs:
            try:
                with open(log, errors="replace") as f:
                    text = f.read()
            except OSError as e:
                print("bench: cannot read %s: %s" % (log, e), file=sys.stderr)
                return 1
            parsed.append((log,) + parse_log(text))
        report, problems = merge(parsed)
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2

    os.makedirs(outdir, exist_ok=True)
    for name in ("map.png", "fault.png"):
        png = os.path.join(outdir, name)
        if os.path.exists(png):
            os.remove(png)  # never leave an earlier run's plot behind
    if logs is not None:
        # Whatever was measured is kept, also from a failed run.
        print("Results: %s" % write_json(report, outdir))
    if report["results"]:
        print(table(report))
        plots = []
        if map_results(report["results"]):
            plots.append(plot)
        if fault_index(report["results"]):
            plots.append(plot_faults)
        for fn in plots:
            try:
                print("Plot: %s" % fn(report, outdir))
            except BenchError as e:
                problems.append(str(e))
    if problems:
        for p in problems:
            print("bench: FAIL: %s" % p, file=sys.stderr)
        if logs is not None:
            print("bench: guest console logs: %s" % " ".join(logs),
                  file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
