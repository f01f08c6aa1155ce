#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of vm/bench_report.py's log reading and table (no gnuplot).

Run by `make bench` before the guest boots:  python3 vm/bench_report_test.py
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_report  # noqa: E402

MIB = 1 << 20


def result(api, op, backing, nbytes, ns, runs=5, domain=None, samples=None):
    if domain is None:
        domain = "none" if api == "gup" else "mock"
    r = {"type": "result", "api": api, "op": op, "backing": backing,
         "bytes": nbytes, "ns_per_4k_page": ns, "runs": runs,
         "domain": domain, "median_ns": 1}
    if samples is not None:
        r["samples_ns"] = samples
    return "ioasid-bench: " + json.dumps(r)


def good_log(extra_results=(), exit_status=0, tail=True):
    lines = [
        "ioasid-guest: DMAR driver not active",
        'ioasid-bench: {"type": "kernel", "release": "6.12-x", '
        '"version": "#1", "runs": 5}',
        result("gup", "pin", "4k", 64 * MIB, 100.0,
               samples=[10, 20, 10, 10, 10]),
        result("ioasid", "map", "4k", 64 * MIB, 140.0,
               samples=[12, 20, 14, 16, 18]) + "\r",
        result("ioasid", "unmap", "4k", 64 * MIB, 50.0),
        result("ioasid", "map", "4k", 64 * MIB, 120.0, domain="none"),
        result("iommufd", "map", "4k", 64 * MIB, 280.0),
        result("iommufd", "unmap", "4k", 64 * MIB, 100.0),
        result("gup", "pin", "hugetlb", 64 * MIB, 10.0),
        result("ioasid", "map", "hugetlb", 64 * MIB, 40.0),
    ] + list(extra_results)
    n = sum(1 for l in lines if '"result"' in l)
    if tail:
        lines += [
            'ioasid-bench: {"type": "done", "results": %d}' % n,
            "ioasid-guest: ioasid_bench exited %d" % exit_status,
            "ioasid-guest: benchmark completed",
        ]
    return "\n".join(lines) + "\n"


class ParseTest(unittest.TestCase):
    def test_good_run(self):
        report, problems = bench_report.parse_log(good_log())
        self.assertEqual([], problems)
        self.assertEqual("6.12-x #1", report["kernel"])
        self.assertEqual(8, len(report["results"]))
        self.assertFalse(report["vtd"])
        r = report["results"][1]
        self.assertEqual(list(bench_report.RESULT_KEYS),
                         list(r.keys())[:len(bench_report.RESULT_KEYS)])
        self.assertNotIn("type", r)

    def test_error_line_fails(self):
        log = good_log().replace(
            "ioasid-guest: ioasid_bench exited 0",
            'ioasid-bench: {"type": "error", "msg": "IOASID_IOAS_MAP: x"}\n'
            "ioasid-guest: ioasid_bench exited 1")
        _, problems = bench_report.parse_log(log)
        self.assertTrue(any("IOASID_IOAS_MAP" in p for p in problems))
        self.assertTrue(any("exited 1" in p for p in problems))

    def test_unfinished_run_fails(self):
        _, problems = bench_report.parse_log(good_log(tail=False))
        self.assertTrue(any("never finished" in p for p in problems))
        self.assertTrue(any("benchmark completed" in p for p in problems))

    def test_timeout_and_splat_fail(self):
        log = good_log() + "[  1.0] WARNING: CPU: 0 PID: 1 at x\n" \
            "run-vm: timeout\n"
        _, problems = bench_report.parse_log(log)
        self.assertTrue(any("timed out" in p for p in problems))
        self.assertTrue(any("kernel report" in p for p in problems))

    def test_count_mismatch_fails(self):
        log = good_log().replace('"results": 8', '"results": 9')
        _, problems = bench_report.parse_log(log)
        self.assertTrue(any("9 results" in p for p in problems))

    def test_skip_is_reported_not_failed(self):
        log = good_log().replace(
            "ioasid-bench: {\"type\": \"kernel\"",
            'ioasid-bench: {"type": "skip", "api": "iommufd", '
            '"msg": "ENODEV"}\nioasid-bench: {"type": "kernel"')
        report, problems = bench_report.parse_log(log)
        self.assertEqual([], problems)
        self.assertEqual([{"api": "iommufd", "reason": "ENODEV"}],
                         report["skipped"])


class TableTest(unittest.TestCase):
    def test_ratios(self):
        report, _ = bench_report.parse_log(good_log())
        dec = bench_report.deciding(report["results"])
        self.assertEqual(2, len(dec))
        backing, nbytes, x, target, met, rounds = dec[0]
        self.assertEqual(("4k", 64 * MIB), (backing, nbytes))
        self.assertAlmostEqual(1.4, x)
        self.assertEqual((1.5, True), (target, met))
        self.assertEqual([1.2, 1.0, 1.4, 1.6, 1.8], rounds)
        self.assertEqual([], dec[1][5])     # no samples, no rounds
        self.assertEqual(("hugetlb", 4.0, False),
                         (dec[1][0], dec[1][2], dec[1][4]))
        text = bench_report.table(report)
        self.assertIn("0.50x", text)      # ioasid map over iommufd map
        self.assertIn("0.43x", text)      # the same without a domain
        self.assertIn("NOT met", text)
        self.assertIn("rounds 1.00x-1.80x", text)


if __name__ == "__main__":
    unittest.main()
