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


def result(api, op, backing, nbytes, ns, runs=5, domain=None, samples=None,
           min_ns=None):
    if domain is None:
        domain = "none" if api == "gup" else "mock"
    r = {"type": "result", "api": api, "op": op, "backing": backing,
         "bytes": nbytes, "ns_per_4k_page": ns, "runs": runs,
         "domain": domain, "median_ns": 1}
    if samples is not None:
        r["samples_ns"] = samples
    if min_ns is not None:
        r["min_ns"] = min_ns
    return "ioasid-bench: " + json.dumps(r)


def fault(api, op, batch=None, p50=None, p99=None, runs=1000, rate=None,
          **extra):
    """A page fault figure as ioasid_bench prints it."""
    r = {"type": "fault", "api": api, "op": op}
    if op == "fault_rtt":
        r.update({"p50_ns": p50, "p99_ns": p99, "runs": runs})
    else:
        r.update({"batch": batch, "faults_per_s": rate})
    r.update(extra)
    return "ioasid-bench: " + json.dumps(r)


def fault_info(api, batch, raise_kind="ioctl", **fields):
    r = {"type": "fault_info", "api": api, "op": "fault_rate",
         "batch": batch, "raise": raise_kind}
    r.update(fields)
    return "ioasid-bench: " + json.dumps(r)


def fault_lines(ring_rtt=20000, fd_rtt=50000, ring_256=80000.0,
                fd_256=20000.0):
    """The page fault figures of a mock guest: ioasid-ring, ioasid-rw and
    iommufd, a round trip each and the three batches."""
    out = [fault("ioasid-ring", "fault_rtt", p50=ring_rtt, p99=ring_rtt * 3),
           fault("ioasid-rw", "fault_rtt", p50=30000, p99=70000),
           fault("iommufd", "fault_rtt", p50=fd_rtt, p99=fd_rtt * 2)]
    for b in (1, 16, 256):
        out += [fault("ioasid-ring", "fault_rate", b,
                      rate=ring_256 if b == 256 else 1000.0 * b),
                fault("ioasid-rw", "fault_rate", b, rate=900.0 * b),
                fault("iommufd", "fault_rate", b,
                      rate=fd_256 if b == 256 else 500.0 * b),
                fault_info("ioasid-ring", b, raise_ns_per_fault=4000.0,
                           handle_ns_per_fault=1500.0, faults_per_s=1.0)]
    out.append(fault_info("ioasid-ring", 256, "burst",
                          faults_per_s=250000.0))
    for api, ns in (("ioasid-ring", 5000), ("iommufd", 3000)):
        r = {"type": "fault_info", "api": api, "op": "trigger_floor",
             "batch": 1, "raise": "ioctl", "p50_ns": ns, "p99_ns": ns * 2,
             "runs": 10}
        out.append("ioasid-bench: " + json.dumps(r))
    return out


def vdpa(api, nbytes, batch, pps, runs=3, samples=None, **extra):
    """A vDPA figure as ioasid_bench prints it, and its samples' line."""
    r = {"type": "vdpa", "api": api, "op": "vdpa_pps", "pkt_bytes": nbytes,
         "batch": batch, "pps": pps, "runs": runs}
    r.update(extra)
    out = ["ioasid-bench: " + json.dumps(r)]
    if samples is not None:
        i = {"type": "vdpa_info", "api": api, "op": "vdpa_pps",
             "pkt_bytes": nbytes, "batch": batch, "samples_pps": samples}
        out.insert(0, "ioasid-bench: " + json.dumps(i))
    return out


def vdpa_lines(ioasid=True):
    """The vDPA figures of a mock guest: 64 and 1500 bytes, batch 32."""
    out = ['ioasid-bench: {"type": "note", "msg": "vdpa: vdpa_sim_net"}']
    out += vdpa("vhost-iotlb", 64, 32, 100000.0,
                samples=[100000.0, 90000.0, 110000.0])
    if ioasid:
        out += vdpa("ioasid", 64, 32, 95000.0,
                    samples=[99000.0, 95000.0, 88000.0])
    out += vdpa("vhost-iotlb", 1500, 32, 50000.0)
    if ioasid:
        out += vdpa("ioasid", 1500, 32, 55000.0)
    else:
        out.insert(0, 'ioasid-bench: {"type": "skip", "api": "vdpa ioasid",'
                   ' "msg": "no VHOST_VDPA_BIND_IOASID in this kernel"}')
    return out


def vtd_log(extra_results=(), tail=True):
    """A VT-d guest's console: ioasid, iommufd and type1 on the edu."""
    lines = [
        "ioasid-guest: DMAR driver active",
        'ioasid-bench: {"type": "kernel", "release": "6.12-x", '
        '"version": "#1", "runs": 5, "mode": "vtd"}',
        'ioasid-bench: {"type": "note", "msg": "ioasid-vtd: edu DMA '
        'through the VT-d domain checked"}',
        result("ioasid", "map", "4k", 64 * MIB, 90.0, domain="vtd",
               min_ns=80),
        result("ioasid", "unmap", "4k", 64 * MIB, 30.0, domain="vtd"),
        result("iommufd", "map", "4k", 64 * MIB, 100.0, domain="vtd",
               min_ns=100),
        result("iommufd", "unmap", "4k", 64 * MIB, 20.0, domain="vtd"),
        result("type1", "map", "4k", 64 * MIB, 180.0, domain="vtd"),
        result("type1", "unmap", "4k", 64 * MIB, 60.0, domain="vtd"),
        result("ioasid", "map", "thp", 64 * MIB, 10.0, domain="vtd"),
        result("ioasid", "unmap", "thp", 64 * MIB, 5.0, domain="vtd"),
        result("iommufd", "map", "thp", 64 * MIB, 40.0, domain="vtd"),
        result("iommufd", "unmap", "thp", 64 * MIB, 5.0, domain="vtd"),
        result("type1", "map", "thp", 64 * MIB, 30.0, domain="vtd"),
    ] + list(extra_results)
    n = sum(1 for l in lines if '"result"' in l)
    if tail:
        lines += [
            'ioasid-bench: {"type": "done", "results": %d}' % n,
            "ioasid-guest: ioasid_bench exited 0",
            "ioasid-guest: benchmark completed",
        ]
    return "\n".join(lines) + "\n"


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
    n = sum(1 for l in lines
            if '"result"' in l or '"type": "fault"' in l or
            '"type": "vdpa"' in l)
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
        self.assertEqual("mock", report["mode"])
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
        self.assertIn("MISS mock  hugetlb  64 MiB", text)
        self.assertIn("PASS mock  4k       64 MiB", text)
        self.assertIn("rounds 1.00x-1.80x", text)
        self.assertNotIn("VT-d guest", text)


class VtdTest(unittest.TestCase):
    def test_vtd_guest(self):
        report, problems = bench_report.parse_log(vtd_log())
        self.assertEqual([], problems)
        self.assertEqual("vtd", report["mode"])
        self.assertTrue(report["vtd"])
        self.assertEqual(11, len(report["results"]))
        self.assertEqual({"vtd"}, {r["domain"] for r in report["results"]})

    def test_vtd_guest_without_dmar_fails(self):
        log = vtd_log().replace("DMAR driver active",
                                "DMAR driver not active")
        _, problems = bench_report.parse_log(log)
        self.assertTrue(any("no active DMAR" in p for p in problems))

    def test_merge(self):
        parsed = [("guest-vtd.log",) + bench_report.parse_log(vtd_log()),
                  ("guest-mock.log",) + bench_report.parse_log(good_log())]
        report, problems = bench_report.merge(parsed)
        self.assertEqual([], problems)
        self.assertEqual(19, len(report["results"]))
        self.assertEqual("6.12-x #1", report["kernel"])
        self.assertEqual(["vtd", "mock"],
                         [g["mode"] for g in report["guests"]])
        self.assertEqual(["vtd", "mock"], bench_report.guests_of(report))
        # The report is what results.json holds.
        json.dumps(report)

    def test_merge_names_the_failed_guest(self):
        parsed = [("guest-vtd.log",) + bench_report.parse_log(
                      vtd_log(tail=False)),
                  ("guest-mock.log",) + bench_report.parse_log(good_log())]
        _, problems = bench_report.merge(parsed)
        self.assertTrue(problems)
        self.assertTrue(all(p.startswith("vtd guest (guest-vtd.log): ")
                            for p in problems))

    def test_merge_refuses_a_result_twice(self):
        log = good_log()
        parsed = [("a.log",) + bench_report.parse_log(log),
                  ("b.log",) + bench_report.parse_log(log)]
        report, problems = bench_report.merge(parsed)
        self.assertEqual(8, len(report["results"]))
        self.assertTrue(any("measured by the mock guest too" in p
                            for p in problems))

    def test_targets(self):
        report, _ = bench_report.parse_log(vtd_log())
        got = {(t[0], t[2], t[3]): t for t in
               bench_report.vtd_targets(report["results"])}
        self.assertEqual(6, len(got))
        # 4k: map 0.9x of iommufd and 0.5x of type1, unmap 1.5x and 0.5x.
        self.assertTrue(got[("4k", "map", "iommufd")][6])
        self.assertAlmostEqual(0.9, got[("4k", "map", "iommufd")][4])
        self.assertAlmostEqual(0.8, got[("4k", "map", "iommufd")][7])
        self.assertTrue(got[("4k", "map", "type1")][6])
        self.assertFalse(got[("4k", "unmap", "iommufd")][6])
        self.assertTrue(got[("4k", "unmap", "type1")][6])
        # thp: map 4x faster than iommufd, unmap as fast: both met.
        self.assertAlmostEqual(0.25, got[("thp", "map", "iommufd")][4])
        self.assertTrue(got[("thp", "map", "iommufd")][6])
        self.assertTrue(got[("thp", "unmap", "iommufd")][6])
        text = bench_report.table(report)
        self.assertIn("PASS vtd   thp      64 MiB  ioasid map / iommufd map"
                      "          0.25x  target <= 0.33x (3x faster)\n",
                      text)
        self.assertIn("MISS vtd   4k       64 MiB  ioasid unmap / iommufd "
                      "unmap      1.50x  target <= 1.00x\n", text)
        self.assertIn("fastest runs 0.80x", text)
        self.assertIn("0.50x", text)      # ioasid 4k map over type1's
        self.assertNotIn("gup pin floor", text)

    def test_missing_peer_is_not_a_pass(self):
        report, _ = bench_report.parse_log(vtd_log())
        results = [r for r in report["results"] if r["api"] != "type1"]
        got = [t for t in bench_report.vtd_targets(results)
               if t[3] == "type1"]
        self.assertEqual(2, len(got))
        self.assertEqual([None, None], [t[6] for t in got])
        self.assertIn("n/a  vtd", bench_report.table(
            {"kernel": "k", "results": results}))


class FaultTest(unittest.TestCase):
    def test_figures_are_results_with_exactly_the_issue_keys(self):
        log = good_log(fault_lines() + [
            fault("iommufd", "fault_rate", 512, rate=1.0, extra_key=3)])
        report, problems = bench_report.parse_log(log)
        self.assertEqual([], problems)
        faults = [r for r in report["results"] if bench_report.is_fault(r)]
        self.assertEqual(13, len(faults))
        self.assertEqual(21, len(report["results"]))
        self.assertEqual({"api": "ioasid-ring", "op": "fault_rtt",
                          "p50_ns": 20000, "p99_ns": 60000, "runs": 1000},
                         faults[0])
        self.assertEqual(["api", "op", "p50_ns", "p99_ns", "runs"],
                         list(faults[0].keys()))
        rate = [r for r in faults if r["op"] == "fault_rate"]
        for r in rate:
            self.assertEqual(["api", "op", "batch", "faults_per_s"],
                             list(r.keys()))
        self.assertEqual({"ioasid-ring", "ioasid-rw", "iommufd"},
                         {r["api"] for r in faults})
        # What ioasid_bench adds goes to fault_info, not into the results.
        self.assertEqual(6, len(report["fault_info"]))
        self.assertNotIn("type", report["fault_info"][0])
        json.dumps(report)

    def test_bad_figures_fail(self):
        log = good_log([fault("ioasid-ring", "fault_rtt", p50=1, p99=2),
                        fault("ioasid-ring", "fault_rate", 16),
                        fault("ioasid-ring", "fault_nap", 16, rate=1)])
        report, problems = bench_report.parse_log(
            log.replace(', "faults_per_s": null', ""))
        self.assertTrue(any("fault_rate without faults_per_s" in p
                            for p in problems))
        self.assertTrue(any("unknown op 'fault_nap'" in p for p in problems))
        self.assertEqual(1, sum(1 for r in report["results"]
                                if bench_report.is_fault(r)))

    def test_table_ratios_and_goals(self):
        report, _ = bench_report.parse_log(good_log(fault_lines()))
        text = bench_report.table(report)
        # The map part is unchanged by the fault figures.
        self.assertIn("PASS mock  4k       64 MiB", text)
        self.assertIn("0.40x", text)     # ring RTT p50 over iommufd's
        self.assertIn("0.60x", text)     # rw RTT p50 over iommufd's
        self.assertIn("4.00x", text)     # ring at batch 256 over iommufd
        self.assertIn("250000/s", text)  # the burst, for information
        self.assertIn("raising     4.0 us, handling     1.5 us", text)
        # The trigger floor, and the RTT p50 less it: 20 - 5 and 50 - 3 us.
        self.assertRegex(text, r"ioasid-ring +20.0 us +60.0 us +1000 +"
                               r"0.40x +5.0 us +15.0 us\n")
        self.assertRegex(text, r"iommufd +50.0 us +100.0 us +1000 +1.00x +"
                               r"3.0 us +47.0 us\n")
        self.assertRegex(text, r"ioasid-rw +30.0 us +70.0 us +1000 +"
                               r"0.60x +- +-\n")
        self.assertIn("PASS mock  round trip p50 ioasid-ring / iommufd",
                      text)
        self.assertIn("PASS mock  faults/s at batch 256 ioasid-ring / "
                      "iommufd", text)
        got = bench_report.fault_targets(report["results"])
        self.assertEqual([0.4, 4.0], [round(t[1], 6) for t in got])
        self.assertEqual([True, True], [t[3] for t in got])

    def test_goals_missed_and_missing(self):
        report, _ = bench_report.parse_log(good_log(fault_lines(
            ring_rtt=30000, ring_256=70000.0)))
        got = bench_report.fault_targets(report["results"])
        self.assertEqual([False, False], [t[3] for t in got])
        self.assertIn("MISS mock  round trip p50",
                      bench_report.table(report))
        results = [r for r in report["results"] if r["api"] != "iommufd"]
        got = bench_report.fault_targets(results)
        self.assertEqual([None, None], [t[3] for t in got])
        self.assertEqual([], bench_report.fault_targets(
            bench_report.map_results(results)))

    def test_map_figures_ignore_faults(self):
        report, _ = bench_report.parse_log(good_log(fault_lines()))
        plain, _ = bench_report.parse_log(good_log())
        self.assertEqual(bench_report.index(plain["results"]),
                         bench_report.index(report["results"]))
        self.assertEqual(bench_report.deciding(plain["results"]),
                         bench_report.deciding(report["results"]))
        self.assertEqual(["mock"], bench_report.guests_of(report))
        # A run of the fault figures alone still makes a table.
        only = {"kernel": "k", "results": [
            r for r in report["results"] if bench_report.is_fault(r)]}
        self.assertEqual([], bench_report.guests_of(only))
        self.assertIn("Round trip", bench_report.table(only))

    def test_merge_faults(self):
        parsed = [("guest-vtd.log",) + bench_report.parse_log(vtd_log()),
                  ("guest-mock.log",) + bench_report.parse_log(
                      good_log(fault_lines()))]
        report, problems = bench_report.merge(parsed)
        self.assertEqual([], problems)
        self.assertEqual(11 + 8 + 12, len(report["results"]))
        self.assertEqual(6, len(report["fault_info"]))
        parsed.append(("again.log",) + bench_report.parse_log(
            good_log(fault_lines())))
        report, problems = bench_report.merge(parsed)
        self.assertTrue(any("iommufd fault_rate batch 256 measured by the "
                            "mock guest too" in p for p in problems))
        self.assertEqual(11 + 8 + 12, len(report["results"]))


class VdpaTest(unittest.TestCase):
    def test_figures_are_results_with_exactly_their_keys(self):
        log = good_log(fault_lines() + vdpa_lines() +
                       vdpa("ioasid", 512, 1, 1.0, extra_key=3))
        report, problems = bench_report.parse_log(log)
        self.assertEqual([], problems)
        got = [r for r in report["results"] if bench_report.is_vdpa(r)]
        self.assertEqual(5, len(got))
        self.assertEqual(8 + 12 + 5, len(report["results"]))
        self.assertEqual({"api": "vhost-iotlb", "op": "vdpa_pps",
                          "pkt_bytes": 64, "batch": 32, "pps": 100000.0,
                          "runs": 3}, got[0])
        for r in got:
            self.assertEqual(list(bench_report.VDPA_KEYS), list(r.keys()))
        self.assertFalse(any(bench_report.is_fault(r) for r in got))
        self.assertEqual(2, len(report["vdpa_info"]))
        self.assertNotIn("type", report["vdpa_info"][0])
        json.dumps(report)

    def test_bad_figures_fail(self):
        log = good_log(vdpa("ioasid", 64, 32, 1.0, op="vdpa_bps") +
                       ['ioasid-bench: {"type": "vdpa", "api": "ioasid", '
                        '"op": "vdpa_pps", "pkt_bytes": 64, "batch": 32}'])
        report, problems = bench_report.parse_log(log)
        self.assertTrue(any("unknown op 'vdpa_bps'" in p for p in problems))
        self.assertTrue(any("vdpa_pps without pps, runs" in p
                            for p in problems))
        self.assertFalse(any(bench_report.is_vdpa(r)
                             for r in report["results"]))

    def test_table(self):
        report, _ = bench_report.parse_log(good_log(fault_lines() +
                                                    vdpa_lines()))
        got = bench_report.vdpa_ratios(report)
        self.assertEqual([(64, 32), (1500, 32)], [g[:2] for g in got])
        self.assertAlmostEqual(0.95, got[0][4])
        self.assertAlmostEqual(1.1, got[1][4])
        self.assertEqual([0.99, 1.055556, 0.8],
                         [round(x, 6) for x in got[0][5]])
        self.assertEqual([], got[1][5])     # no samples, no run ratios
        text = bench_report.table(report)
        self.assertRegex(text, r"\n64 B +32 +100000 +95000 +0.95x +3  "
                               r"0.80x-1.06x\n")
        self.assertRegex(text, r"\n1500 B +32 +50000 +55000 +1.10x +3\n")
        self.assertIn("for information (no target)", text)
        # The map and fault parts are unchanged by the vDPA figures.
        plain, _ = bench_report.parse_log(good_log(fault_lines()))
        self.assertEqual(bench_report.index(plain["results"]),
                         bench_report.index(report["results"]))
        self.assertEqual(bench_report.fault_targets(plain["results"]),
                         bench_report.fault_targets(report["results"]))
        self.assertEqual(["mock"], bench_report.guests_of(report))
        self.assertEqual(bench_report.target_lines(plain["results"]),
                         bench_report.target_lines(report["results"]))

    def test_ioasid_skipped(self):
        report, problems = bench_report.parse_log(good_log(
            vdpa_lines(ioasid=False)))
        self.assertEqual([], problems)
        text = bench_report.table(report)
        self.assertIn("Skipped vdpa ioasid: no VHOST_VDPA_BIND_IOASID",
                      text)
        self.assertRegex(text, r"\n64 B +32 +100000 +- +- +3\n")

    def test_no_device_is_reported_not_failed(self):
        log = good_log(['ioasid-bench: {"type": "skip", "api": "vdpa", '
                        '"msg": "no vdpa_sim_net device"}'])
        report, problems = bench_report.parse_log(log)
        self.assertEqual([], problems)
        self.assertEqual([{"api": "vdpa", "reason": "no vdpa_sim_net "
                           "device"}], report["skipped"])
        text = bench_report.table(report)
        self.assertIn("vDPA, for information", text)
        self.assertIn("Skipped vdpa: no vdpa_sim_net device", text)
        # Nothing of vDPA in a run that never tried it.
        self.assertNotIn("vDPA", bench_report.table(
            bench_report.parse_log(good_log())[0]))

    def test_merge(self):
        parsed = [("guest-vtd.log",) + bench_report.parse_log(vtd_log()),
                  ("guest-mock.log",) + bench_report.parse_log(
                      good_log(vdpa_lines()))]
        report, problems = bench_report.merge(parsed)
        self.assertEqual([], problems)
        self.assertEqual(11 + 8 + 4, len(report["results"]))
        self.assertEqual(2, len(report["vdpa_info"]))
        self.assertEqual(["vtd", "mock"], bench_report.guests_of(report))
        self.assertIn("0.95x", bench_report.table(report))
        parsed.append(("again.log",) + bench_report.parse_log(
            good_log(vdpa_lines())))
        report, problems = bench_report.merge(parsed)
        self.assertTrue(any("vDPA ioasid 1500 bytes batch 32 measured by "
                            "the mock guest too" in p for p in problems))
        self.assertEqual(11 + 8 + 4, len(report["results"]))


if __name__ == "__main__":
    unittest.main()
