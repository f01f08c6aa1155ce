#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a guest console log written by vm/run-vm.sh in check mode.

Counts the results of every TAP stream in the log (the guest's environment
checks and each selftest binary), checks each stream against its plan,
and fails on kernel splats (WARN, BUG, KASAN, lockdep, kmemleak, hung
tasks, ...), on a guest that did not reach its completion line and on a
timeout.  The last line printed is "N passed, M failed[, K skipped]".

Usage: results.py LOGFILE
"""

import re
import sys

COMPLETION = "ioasid-guest: all tests completed"
TIMEOUT_MARK = "run-vm: timeout"
GUEST_PREFIX = "ioasid-guest: "
SPLAT_CONTEXT = 20

RE_VERSION = re.compile(r"^TAP version \d+\s*$")
RE_PLAN = re.compile(r"^1\.\.(\d+)\b")
RE_RESULT = re.compile(r"^(not )?ok (\d+)\b ?(.*)$")
RE_DIRECTIVE = re.compile(r"\s#\s*(SKIP|TODO|XFAIL|XPASS|TIMEOUT)\b\s*(.*)$",
                          re.IGNORECASE)
RE_BAIL = re.compile(r"^Bail out!(.*)$")
RE_RUN = re.compile(r"^#\s+RUN\s+(\S+)")        # kselftest_harness
RE_RUNNING = re.compile(r"^ioasid-guest: running (\S+)")
RE_EXITED = re.compile(r"^ioasid-guest: (\S+) exited (-?\d+)")

# Lines that open a kernel report.
SPLAT_MARKERS = (
    "BUG:",
    "WARNING:",
    "KASAN:",
    "Oops",
    "possible circular locking",
    "possible recursive locking",
    "inconsistent lock state",
    "suspicious RCU usage",
    "unreferenced object",
    "suspected memory leak",
    "Kernel panic",
    "blocked for more than",
    "general protection fault",
    "UBSAN:",
    "Call Trace:",
)
# Known harmless lines that contain a marker.  None so far.
SPLAT_ALLOWLIST = ()
# A marker this close after the previous one belongs to the same report
# (a WARN followed by "Kernel panic" under panic_on_warn, a lockdep
# report's "WARNING:" line and its later "Call Trace:"), unless guest user
# space printed something in between.
SPLAT_MERGE_LINES = 60
# "Call Trace:" only opens a report of its own (an RCU stall, a sysrq
# dump) when no other marker came shortly before it.
CALL_TRACE_MERGE_LINES = 200
# Exit codes of a kselftest binary that mean no failure (pass, skip).
KSFT_OK_EXITS = (0, 4)


class Stream:
    """One TAP stream: a plan and the results that followed it."""

    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.plan = None
        self.results = 0
        self.failed = 0
        self.bailed = None
        self.last_run = None


def _is_user_line(line):
    return (line.startswith(GUEST_PREFIX) or line.startswith("run-vm:") or
            bool(RE_VERSION.match(line) or RE_PLAN.match(line) or
                 RE_RESULT.match(line)))


def _splat_marker(line):
    if any(a in line for a in SPLAT_ALLOWLIST):
        return None
    for m in SPLAT_MARKERS:
        if m in line:
            return m
    return None


def find_splats(lines):
    """Return the line indexes where distinct kernel reports start."""
    have_objects = any("unreferenced object" in l for l in lines)
    starts = []
    last = None       # index of the previous marker line
    for i, line in enumerate(lines):
        if _is_user_line(line):
            last = None       # user space output ends a report
            continue
        m = _splat_marker(line)
        if m is None:
            continue
        if m == "suspected memory leak" and have_objects:
            # kmemleak's summary; the objects themselves are counted.
            continue
        if m == "unreferenced object":
            starts.append(i)      # every leaked object counts
        elif m == "Call Trace:":
            if last is None or i - last > CALL_TRACE_MERGE_LINES:
                starts.append(i)
        elif last is None or i - last > SPLAT_MERGE_LINES or \
                "unreferenced object" in lines[last]:
            starts.append(i)
        last = i
    return starts


def evaluate(text):
    """Judge a console log.

    Returns (passed, failed, skipped, messages); messages ("SKIP ..." and
    "FAIL ...", in log order) are printed before the summary.
    """
    lines = [l.rstrip("\r\n").replace("\r", "") for l in text.split("\n")]
    passed = failed = skipped = 0
    msgs = []
    streams = []
    cur = None
    running = None          # selftest binary named by the last "running"
    binary_failed = {}      # binary -> failures counted in its streams
    binary_plan = {}        # binary -> whether it printed a plan

    def stream_name():
        return running or "guest"

    def close(stream):
        nonlocal failed
        if stream is None:
            return
        if stream.plan is not None and stream.results < stream.plan:
            missing = stream.plan - stream.results
            failed += missing
            stream.failed += missing
            msgs.append("FAIL %s: planned %d tests, got %d results "
                        "(%d missing: crashed or stopped early%s)"
                        % (stream.name, stream.plan, stream.results, missing,
                           ", in " + stream.last_run if stream.last_run
                           else ""))
        elif stream.plan is not None and stream.results > stream.plan:
            failed += 1
            stream.failed += 1
            msgs.append("FAIL %s: planned %d tests, got %d results"
                        % (stream.name, stream.plan, stream.results))
        if stream.bailed is not None and stream.failed == 0:
            failed += 1
            stream.failed += 1
            msgs.append("FAIL %s: Bail out!%s" % (stream.name, stream.bailed))
        binary_failed[stream.name] = \
            binary_failed.get(stream.name, 0) + stream.failed

    for line in lines:
        m = RE_RUNNING.match(line)
        if m:
            close(cur)
            cur = None
            running = m.group(1)
            binary_failed.setdefault(running, 0)
            binary_plan.setdefault(running, False)
            continue
        m = RE_EXITED.match(line)
        if m:
            close(cur)
            cur = None
            name, rc = m.group(1), int(m.group(2))
            if not binary_plan.get(name):
                failed += 1
                msgs.append("FAIL %s: exited %d without a TAP plan"
                            % (name, rc))
            elif rc not in KSFT_OK_EXITS and not binary_failed.get(name):
                failed += 1
                msgs.append("FAIL %s: exited %d but reported no failed test"
                            % (name, rc))
            running = None
            continue
        if RE_VERSION.match(line):
            close(cur)
            cur = Stream(stream_name(), line)
            streams.append(cur)
            continue
        m = RE_PLAN.match(line)
        if m:
            if cur is None or cur.plan is not None:
                close(cur)
                cur = Stream(stream_name(), line)
                streams.append(cur)
            cur.plan = int(m.group(1))
            if running:
                binary_plan[running] = True
            continue
        m = RE_BAIL.match(line)
        if m:
            if cur is None:
                cur = Stream(stream_name(), line)
                streams.append(cur)
            cur.bailed = m.group(1)
            continue
        m = RE_RUN.match(line)
        if m and cur is not None:
            cur.last_run = m.group(1)
            continue
        m = RE_RESULT.match(line)
        if not m:
            continue
        if cur is None:
            cur = Stream(stream_name(), line)
            streams.append(cur)
        cur.results += 1
        desc = m.group(3).strip()
        d = RE_DIRECTIVE.search(" " + desc)
        name = desc[:d.start()].strip() if d else desc
        name = name.lstrip("- ").strip() or "#" + m.group(2)
        directive = d.group(1).upper() if d else None
        full = "%s: %s" % (cur.name, name)
        if m.group(1):
            failed += 1
            cur.failed += 1
            msgs.append("FAIL %s%s" % (full, " (# %s %s)" % (
                directive, d.group(2).strip()) if d else ""))
        elif directive == "SKIP":
            skipped += 1
            reason = d.group(2).strip() or "no reason given"
            msgs.append("SKIP %s: %s" % (full, reason))
        else:
            passed += 1
    close(cur)

    for i in find_splats(lines):
        failed += 1
        first = i
        if "Call Trace:" in lines[i]:
            # Show what the trace belongs to.
            while first > max(0, i - 4) and lines[first - 1].strip() and \
                    not _is_user_line(lines[first - 1]):
                first -= 1
        context = lines[first:i + SPLAT_CONTEXT + 1]
        while context and not context[-1].strip():
            context.pop()
        msgs.append("\n".join(
            ["FAIL kernel splat at console line %d:" % (i + 1)] +
            ["    " + l for l in context]))

    timed_out = any(l.strip() == TIMEOUT_MARK for l in lines)
    completed = any(l.strip() == COMPLETION for l in lines)
    if not completed:
        failed += 1
        msgs.append("FAIL guest did not complete (timeout, panic or crash)")
    if timed_out:
        # One failure with the above unless the guest finished anyway.
        failed += 1 if completed else 0
        msgs.append("FAIL guest timed out (%s)" % TIMEOUT_MARK)
    if not streams and completed:
        failed += 1
        msgs.append("FAIL no TAP output in the console log")
    return passed, failed, skipped, msgs


def summary(passed, failed, skipped):
    s = "%d passed, %d failed" % (passed, failed)
    if skipped:
        s += ", %d skipped" % skipped
    return s


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: results.py LOGFILE", file=sys.stderr)
        return 2
    path = argv[0]
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
    except OSError as e:
        print("cannot read console log: %s" % e)
        print(summary(0, 1, 0))
        return 1
    passed, failed, skipped, msgs = evaluate(text)
    # Skips first, so that the failures end up next to the summary.
    for m in sorted(msgs, key=lambda m: not m.startswith("SKIP")):
        print(m)
    ok = failed == 0 and passed > 0
    if not ok:
        if failed == 0:
            print("no test passed")
        print("console log: %s" % path)
    print(summary(passed, failed, skipped))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
