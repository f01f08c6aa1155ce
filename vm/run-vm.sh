#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the test kernel in QEMU (TCG) with an emulated scalable-mode VT-d and
# the edu PCI device.
# Usage: run-vm.sh check|shell|bench BZIMAGE INITRAMFS LOGFILE TIMEOUT_SECONDS
#
# check: non-interactive; the serial console goes to stdout and LOGFILE,
#        vm/results.py decides pass/fail from LOGFILE.  On timeout the line
#        "run-vm: timeout" is appended to LOGFILE.
# shell: interactive console (Ctrl-A x quits, Ctrl-A c switches to the QEMU
#        monitor); TIMEOUT_SECONDS 0 means no time limit.
# bench: like check, for one benchmark guest (vm/bench_report.py reads
#        LOGFILE), with BENCH_MEM of guest RAM (default 4G), the emulated
#        VT-d unless BENCH_VTD=0 (the mock guest: iommufd's mock domain
#        cannot be created next to it), and BENCH_APPEND added to the
#        kernel command line.
# Commas inside QEMU option strings are not array separators.
# shellcheck disable=SC2054
set -eu

die() {
	echo "run-vm: $*" >&2
	exit 2
}

[ $# -eq 5 ] ||
	die "usage: $0 check|shell|bench BZIMAGE INITRAMFS LOGFILE TIMEOUT_SECONDS"
mode=$1
bzimage=$2
initrd=$3
log=$4
limit=$5

# Never let a stale log from an earlier run be judged, even if we fail here.
mkdir -p "$(dirname "$log")"
: > "$log"

case "$mode" in
check|shell|bench) ;;
*) die "unknown mode '$mode' (check, shell or bench)" ;;
esac
case "$limit" in
''|*[!0-9]*) die "TIMEOUT_SECONDS must be a number, got '$limit'" ;;
esac
[ "$mode" = shell ] || [ "$limit" -gt 0 ] || die "$mode mode needs a timeout"
[ -f "$bzimage" ] || die "no kernel image $bzimage (run 'make kernel')"
[ -f "$initrd" ] || die "no initramfs $initrd (run 'make initramfs')"
qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || die "$qemu not found (install qemu-system-x86)"
# Commas are option separators for -chardev.
case "$log" in
*,*) die "LOGFILE must not contain a comma: $log" ;;
esac

append="console=ttyS0 printk.time=1 panic=-1 panic_on_warn=1 oops=panic"
append="$append hung_task_panic=0 softlockup_panic=0"
append="$append intel_iommu=on,sm_on ioasid_vm.mode=$mode"
# The vDPA simulator takes physical addresses in its maps, as a device
# served by /dev/ioasid needs (not user virtual addresses).
append="$append vdpa_sim.use_va=0"
# CHECK_TESTS: comma-separated selftest binaries to run (default: all).
[ -z "${CHECK_TESTS:-}" ] || append="$append ioasid_vm.tests=$CHECK_TESTS"
mem=2G
vtd=(-device intel-iommu,x-scalable-mode=on,intremap=on,aw-bits=48)
if [ "$mode" = bench ]; then
	mem=${BENCH_MEM:-4G}
	case "${BENCH_VTD:-1}" in
	0) vtd=() ;;
	1) ;;
	*) die "BENCH_VTD must be 0 or 1, got '$BENCH_VTD'" ;;
	esac
	append="$append ${BENCH_APPEND:-}"
fi

if [ "$mode" = check ] || [ "$mode" = bench ]; then
	# Console on stdout and, through the chardev log, in LOGFILE.
	console=(-chardev "stdio,id=con,logfile=$log"
		 -serial chardev:con -monitor none)
else
	# Ctrl-C goes to the guest; the monitor is multiplexed on Ctrl-A c.
	console=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$log"
		 -serial chardev:con -mon chardev=con,mode=readline)
fi

# QEMU_EXTRA_ARGS: more options, split at white space.
read -r -a extra <<< "${QEMU_EXTRA_ARGS:-}"

# intremap=on needs kernel-irqchip=split (or off) under KVM; TCG ignores it.
cmd=("$qemu"
	-machine q35,accel=tcg,kernel-irqchip=split
	-cpu max -smp 2 -m "$mem"
	-display none -no-reboot -nic none
	-kernel "$bzimage" -initrd "$initrd"
	-append "$append"
	"${console[@]}"
	"${vtd[@]}"
	-device edu,dma_mask=0xffffffffffffffff
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
	"${extra[@]}")

line=run-vm:
for a in "${cmd[@]}"; do
	case "$a" in
	*[[:space:]]*) line="$line '$a'" ;;
	*) line="$line $a" ;;
	esac
done
echo "$line" >&2
start=$(date +%s)
rc=0
if [ "$mode" = check ] || [ "$mode" = bench ]; then
	timeout --foreground -k 10 "$limit" "${cmd[@]}" </dev/null || rc=$?
elif [ "$limit" -gt 0 ]; then
	timeout --foreground -k 10 "$limit" "${cmd[@]}" || rc=$?
else
	"${cmd[@]}" || rc=$?
fi
elapsed=$(( $(date +%s) - start ))

# The console may end without a newline; keep our marker on its own line.
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "run-vm: timed out after $limit s" >&2
	printf '\nrun-vm: timeout\n' >> "$log"
elif [ $rc -ne 0 ]; then
	echo "run-vm: $qemu exited with status $rc" >&2
fi
echo "run-vm: guest ran for $elapsed s, console log: $log" >&2
# QEMU's status is only informative; results.py judges the log.
exit 0
