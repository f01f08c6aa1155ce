#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests for vm/results.py, run by `make harness-selftest`."""

import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results  # noqa: E402

BOOT = """\
[    0.000000] Linux version 6.12.0-ioasid (ioasid@ioasid) #1 SMP
[    0.412000] DMAR: Intel(R) Virtualization Technology for Directed I/O
ioasid-guest: kernel 6.12.0-ioasid
ioasid-guest: running env
TAP version 13
1..3
ok 1 env.vtd_scalable_mode
ok 2 env.edu_in_iommu_group
ok 3 env.dev_ioasid_present
"""

SELFTEST_PASS = """\
ioasid-guest: running ioasid
TAP version 13
1..3
# Starting 3 tests from 1 test cases.
#  RUN           ioasid.open ...
#            OK  ioasid.open
ok 1 ioasid.open
#  RUN           ioasid.alloc ...
#            OK  ioasid.alloc
ok 2 ioasid.alloc
#  RUN           ioasid.free ...
#            OK  ioasid.free
ok 3 ioasid.free
# PASSED: 3 / 3 tests passed.
# Totals: pass:3 fail:0 xfail:0 xpass:0 skip:0 error:0
ioasid-guest: ioasid exited 0
"""

# The vSVA demo (tools/ioasid/vsva-demo.c): one test, a trace in TAP
# comments, and its own last line.
DEMO_PASS = """\
ioasid-guest: running vsva-demo
TAP version 13
1..1
# vSVA demo: a guest process's page table in the VT-d first-stage format
# [fault] device 3 PASID 5 HWPT 6: write at VA 0x7f5a00000000 (group 0)
# [fixup] VA 0x7f5a00000000 -> new page at GPA 0x40001000: entry 0x40001007
# [inval] HWPT 6: 1 PASID-IOTLB entries in one IOASID_HWPT_INVALIDATE
# [resp]  1 answer (1 SUCCESS) in one IOASID_FAULT_QUEUE_RESPOND
ok 1 vsva-demo
vsva-demo: PASS 8 faults, 32768 bytes verified
ioasid-guest: vsva-demo exited 0
"""

DEMO_FAIL = """\
ioasid-guest: running vsva-demo
TAP version 13
1..1
# vSVA demo: a guest process's page table in the VT-d first-stage format
not ok 1 vsva-demo - unrecoverable fault at 0x7f5a00000000 (type 2, flags 0x1)
vsva-demo: FAIL unrecoverable fault at 0x7f5a00000000 (type 2, flags 0x1)
ioasid-guest: vsva-demo exited 1
"""

END = """\
ioasid-guest: kmemleak scan done
ioasid-guest: all tests completed
[   42.000000] ACPI: PM: Preparing to enter system sleep state S5
[   42.010000] reboot: Power down
"""

WARN = """\
[   12.345678] ------------[ cut here ]------------
[   12.345679] WARNING: CPU: 0 PID: 1 at drivers/iommu/ioasid/main.c:10 ioasid_open+0x10/0x20
[   12.345680] Modules linked in:
[   12.345681] CPU: 0 UID: 0 PID: 1 Comm: ioasid Not tainted 6.12.0-ioasid #1
[   12.345682] RIP: 0010:ioasid_open+0x10/0x20
[   12.345683] Call Trace:
[   12.345684]  <TASK>
[   12.345685]  misc_open+0x1/0x2
[   12.345686]  </TASK>
[   12.345687] ---[ end trace 0000000000000000 ]---
[   12.345688] Kernel panic - not syncing: kernel: panic_on_warn set ...
"""

KMEMLEAK = """\
unreferenced object 0xffff888003a1b000 (size 64):
  comm "ioasid", pid 70, jiffies 4294894573
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace (crc 0):
    kmalloc_trace_noprof+0x1/0x2
    ioasid_alloc+0x1/0x2
"""


def run(text):
    return results.evaluate(text)


class EvaluateTest(unittest.TestCase):

    def test_all_pass(self):
        p, f, s, msgs = run(BOOT + SELFTEST_PASS + END)
        self.assertEqual((p, f, s), (6, 0, 0), msgs)

    def test_not_ok_fails(self):
        log = SELFTEST_PASS.replace("ok 2 ioasid.alloc",
                                    "not ok 2 ioasid.alloc")
        log = log.replace("exited 0", "exited 1")
        p, f, s, msgs = run(BOOT + log + END)
        self.assertEqual((p, f, s), (5, 1, 0), msgs)
        self.assertTrue(any("ioasid: ioasid.alloc" in m for m in msgs))

    def test_not_ok_todo_fails(self):
        log = SELFTEST_PASS.replace("ok 3 ioasid.free",
                                    "not ok 3 ioasid.free # TODO later")
        p, f, s, msgs = run(BOOT + log + END)
        self.assertEqual((p, f), (5, 1), msgs)

    def test_warning_splat_fails(self):
        p, f, s, msgs = run(BOOT + SELFTEST_PASS[:200] + WARN)
        # The WARN, its call trace and the panic are one splat; the guest
        # did not complete and the selftest stream is short.
        splats = [m for m in msgs if "kernel splat" in m]
        self.assertEqual(len(splats), 1, msgs)
        self.assertIn("drivers/iommu/ioasid/main.c:10", splats[0])
        self.assertTrue(any("did not complete" in m for m in msgs))
        self.assertGreater(f, 1)

    def test_warning_splat_alone_fails(self):
        p, f, s, msgs = run(BOOT + WARN.replace(
            "[   12.345688] Kernel panic", "[   12.345688] x") +
            SELFTEST_PASS + END)
        self.assertEqual((p, f, s), (6, 1, 0), msgs)

    def test_splats_split_by_user_output(self):
        trace = ("[   20.000000] sysrq: Show backtrace of all active CPUs\n"
                 "[   20.000001] Call Trace:\n[   20.000002]  <TASK>\n")
        panic = "[   30.000000] Kernel panic - not syncing: sysrq\n"
        log = (BOOT + "ioasid-guest: running a\n" + trace +
               "ioasid-guest: a exited 0\n" + panic)
        msgs = run(log)[3]
        self.assertEqual(len([m for m in msgs if "kernel splat" in m]), 2,
                         msgs)

    def test_kmemleak_fails(self):
        p, f, s, msgs = run(BOOT + SELFTEST_PASS + KMEMLEAK +
                            KMEMLEAK.replace("b000", "c000") + END)
        self.assertEqual((p, f, s), (6, 2, 0), msgs)
        self.assertTrue(any("unreferenced object" in m for m in msgs))

    def test_kmemleak_summary_not_double_counted(self):
        summary = ("[   40.000000] kmemleak: 1 new suspected memory leaks "
                   "(see /sys/kernel/debug/kmemleak)\n")
        p, f, s, msgs = run(BOOT + SELFTEST_PASS + summary + KMEMLEAK + END)
        self.assertEqual((p, f, s), (6, 1, 0), msgs)
        p, f, s, msgs = run(BOOT + SELFTEST_PASS + summary + END)
        self.assertEqual((p, f, s), (6, 1, 0), msgs)

    def test_missing_completion_fails(self):
        p, f, s, msgs = run(BOOT + SELFTEST_PASS)
        self.assertEqual((p, f, s), (6, 1, 0), msgs)
        self.assertTrue(any("did not complete" in m for m in msgs))

    def test_short_stream(self):
        log = ("ioasid-guest: running ioasid\nTAP version 13\n1..5\n"
               "ok 1 a.one\nok 2 a.two\nok 3 a.three\n"
               "ioasid-guest: ioasid exited 139\n")
        p, f, s, msgs = run(BOOT + log + END)
        self.assertEqual((p, f, s), (6, 2, 0), msgs)
        self.assertTrue(any("ioasid: planned 5 tests, got 3" in m
                            for m in msgs), msgs)

    def test_short_stream_names_running_test(self):
        log = SELFTEST_PASS.split("ok 2 ioasid.alloc")[0]
        p, f, s, msgs = run(BOOT + log)
        self.assertEqual((p, f), (4, 3), msgs)
        self.assertTrue(any("2 missing" in m and "in ioasid.alloc" in m
                            for m in msgs), msgs)

    def test_skip_with_reason(self):
        log = SELFTEST_PASS.replace(
            "ok 2 ioasid.alloc",
            "ok 2 ioasid.alloc # SKIP no PASID support")
        p, f, s, msgs = run(BOOT + log + END)
        self.assertEqual((p, f, s), (5, 0, 1), msgs)
        self.assertIn("SKIP ioasid: ioasid.alloc: no PASID support", msgs)

    def test_timeout_marker(self):
        p, f, s, msgs = run(BOOT + SELFTEST_PASS[:150] +
                            "\nrun-vm: timeout\n")
        self.assertGreaterEqual(f, 1)
        self.assertTrue(any("timed out" in m for m in msgs))
        p, f, s, msgs = run(BOOT + SELFTEST_PASS + END +
                            "run-vm: timeout\n")
        self.assertEqual((p, f), (6, 1), msgs)

    def test_crlf(self):
        log = (BOOT + SELFTEST_PASS + END).replace("\n", "\r\n")
        self.assertEqual(run(log)[:3], (6, 0, 0))

    def test_binary_without_tap(self):
        log = "ioasid-guest: running ioasid\nioasid-guest: ioasid exited 127\n"
        p, f, s, msgs = run(BOOT + log + END)
        self.assertEqual((p, f), (3, 1), msgs)

    def test_demo_is_one_test(self):
        p, f, s, msgs = run(BOOT + SELFTEST_PASS + DEMO_PASS + END)
        self.assertEqual((p, f, s), (7, 0, 0), msgs)

    def test_demo_fail_is_one_failure(self):
        p, f, s, msgs = run(BOOT + SELFTEST_PASS + DEMO_FAIL + END)
        self.assertEqual((p, f, s), (6, 1, 0), msgs)
        self.assertTrue(any(m.startswith("FAIL vsva-demo: vsva-demo - "
                                         "unrecoverable fault") for m in msgs),
                        msgs)

    def test_demo_crash_is_one_failure(self):
        log = DEMO_PASS.split("# [fault]")[0] + \
            "ioasid-guest: vsva-demo exited 139\n"
        p, f, s, msgs = run(BOOT + log + END)
        self.assertEqual((p, f, s), (3, 1, 0), msgs)
        self.assertTrue(any("vsva-demo: planned 1 tests, got 0" in m
                            for m in msgs), msgs)

    def test_guest_lines_are_not_splats(self):
        log = "ioasid-guest: dmesg: DMAR: WARNING: firmware\n"
        self.assertEqual(run(BOOT + log + END)[:3], (3, 0, 0))


class MainTest(unittest.TestCase):

    def main_output(self, text):
        if isinstance(text, str):
            text = text.encode()
        with tempfile.NamedTemporaryFile("wb", suffix=".log",
                                         delete=False) as f:
            f.write(text)
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                rc = results.main([f.name])
        finally:
            os.unlink(f.name)
        return rc, out.getvalue().splitlines()

    def test_summary_pass(self):
        rc, out = self.main_output(BOOT + SELFTEST_PASS + END)
        self.assertEqual(rc, 0)
        self.assertEqual(out[-1], "6 passed, 0 failed")

    def test_summary_fail_and_skip(self):
        log = SELFTEST_PASS.replace("ok 1 ioasid.open",
                                    "not ok 1 ioasid.open")
        log = log.replace("ok 3 ioasid.free", "ok 3 ioasid.free # SKIP x")
        rc, out = self.main_output(BOOT + log + END)
        self.assertEqual(rc, 1)
        self.assertEqual(out[-1], "4 passed, 1 failed, 1 skipped")
        self.assertTrue(out[-2].startswith("console log: "))

    def test_binary_garbage(self):
        log = (BOOT + SELFTEST_PASS + END).encode()
        rc, out = self.main_output(b"\x00\xff\xfe garbage\r\n" + log)
        self.assertEqual(rc, 0)
        self.assertEqual(out[-1], "6 passed, 0 failed")

    def test_nothing_passed(self):
        rc, out = self.main_output("")
        self.assertEqual(rc, 1)
        self.assertEqual(out[-1], "0 passed, 1 failed")

    def test_missing_log(self):
        with contextlib.redirect_stdout(io.StringIO()) as out:
            rc = results.main(["/nonexistent/console.log"])
        self.assertEqual(rc, 1)
        self.assertEqual(out.getvalue().splitlines()[-1], "0 passed, 1 failed")


if __name__ == "__main__":
    prog = unittest.main(verbosity=1, exit=False)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
