# SPDX-License-Identifier: GPL-2.0
#
# /dev/ioasid: build the kernel with the overlay applied, build the
# selftests, and run them in a QEMU guest.  `make help` lists the targets.

SHELL		:= /bin/bash
TOP		:= $(CURDIR)
BUILD		:= $(TOP)/build
KVER		:= 6.12
KTARBALL	:= /usr/src/linux-source-$(KVER).tar.xz
KSRC		:= $(BUILD)/linux-source-$(KVER)
KOBJ		:= $(BUILD)/kobj-debug
BZIMAGE		:= $(KOBJ)/arch/x86/boot/bzImage
HDRS		:= $(KOBJ)/usr/include
STDIR		:= $(BUILD)/selftests
INITRAMFS	:= $(BUILD)/initramfs.cpio.gz
LOG		:= $(BUILD)/guest-console.log
JOBS		?= $(shell nproc)
TESTS		?=
comma		:= ,
space		:= $(subst ,, )
TIMEOUT		?= 2400

# Everything the build and the guest need, as Debian package names.
PACKAGES := linux-source-$(KVER) build-essential bc flex bison libelf-dev \
	    libssl-dev cpio ccache qemu-system-x86 busybox-static sparse \
	    python3 xz-utils kmod patch

# Fixed build identity so that rebuilds hit ccache.
KBUILD_ENV := KBUILD_BUILD_TIMESTAMP="2026-01-01" KBUILD_BUILD_USER=ioasid \
	      KBUILD_BUILD_HOST=ioasid
KMAKE = $(KBUILD_ENV) $(MAKE) -s -C $(KSRC) O=$(KOBJ) -j$(JOBS) \
	CC="ccache gcc" HOSTCC="ccache gcc"

CONFIG_FRAGMENTS := vm/base.config vm/debug.config \
		    tools/testing/selftests/ioasid/config
OVERLAY_FILES = $(shell git -C $(TOP) ls-files --cached --others \
		  --exclude-standard -- drivers include tools Documentation \
		  2>/dev/null)

.PHONY: all help deps source kernel selftests initramfs check run \
	lint checkpatch sparse clean distclean harness-selftest \
	bench bench-deps bench-kernel bench-prog bench-initramfs \
	bench-harness-selftest
.DEFAULT_GOAL := help

help:
	@echo "Targets:"
	@echo "  make check       build everything missing, boot the guest, run all tests;"
	@echo "                   ends with 'N passed, N failed' and fails on any failure"
	@echo "  make run         build what is missing, boot the guest, show the vSVA"
	@echo "                   demo (tools/ioasid/vsva-demo.c) and leave a shell"
	@echo "  make kernel      (re)build the debug kernel under build/"
	@echo "  make selftests   build the statically linked selftests"
	@echo "  make bench       benchmark map/unmap of /dev/ioasid on a non-debug kernel:"
	@echo "                   against iommufd and VFIO type1 on the emulated VT-d (edu"
	@echo "                   device), and against iommufd and the gup pin floor on mock"
	@echo "                   domains, then page faults against iommufd's fault fd;"
	@echo "                   one guest each (BENCH_GUESTS=\"$(BENCH_GUESTS)\");"
	@echo "                   writes build/bench/results.json, map.png and fault.png"
	@echo "                   (BENCH_RUNS=$(BENCH_RUNS), BENCH_SIZES=$(BENCH_SIZES) MiB; see README.md)"
	@echo "  make lint        checkpatch --strict, sparse (C=2: every file) and W=1 on our files"
	@echo "  make deps        install the Debian packages the build needs"
	@echo "  make clean       remove build outputs but keep the unpacked kernel"
	@echo "  make distclean   remove build/ entirely"

all: kernel selftests initramfs

# --- host packages ---------------------------------------------------------
# $(call apt_install_missing,PACKAGES): install those not installed yet.
define apt_install_missing
@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing:" $$missing; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null || \
		{ echo "error: could not install $$missing" >&2; exit 1; }; \
	fi
endef

deps:
	@mkdir -p $(BUILD)
	$(call apt_install_missing,$(PACKAGES))

# --- base kernel, patches and overlay ----------------------------------------
source: $(BUILD)/.source
	@vm/overlay.sh $(TOP) $(KSRC)

$(BUILD)/.source: patches/series $(wildcard patches/*.patch) | deps
	@rm -rf $(KSRC) $@
	@echo "Unpacking $(KTARBALL)"
	@tar -C $(BUILD) -xf $(KTARBALL)
	@echo "Base kernel: Debian linux-source-$(KVER)" \
	      "$$(dpkg-query -W -f='$${Version}' linux-source-$(KVER))," \
	      "$$(make -s -C $(KSRC) kernelversion)"
	@while read -r p; do \
		case "$$p" in ''|'#'*) continue;; esac; \
		if ! patch -d $(KSRC) -p1 -s -N --dry-run < patches/$$p >/dev/null; then \
			echo "error: patches/$$p no longer applies to linux-source-$(KVER)" >&2; \
			patch -d $(KSRC) -p1 -N --dry-run < patches/$$p >&2; \
			exit 1; \
		fi; \
		patch -d $(KSRC) -p1 -s -N < patches/$$p; \
		echo "Applied patches/$$p"; \
	done < patches/series
	@touch $@

# --- kernel ------------------------------------------------------------------
$(KOBJ)/.config: $(BUILD)/.source $(CONFIG_FRAGMENTS) vm/checkconfig.sh
	@mkdir -p $(KOBJ)
	@vm/overlay.sh $(TOP) $(KSRC)
	@cat $(CONFIG_FRAGMENTS) > $(KOBJ)/fragment.config
	@$(KMAKE) allnoconfig KCONFIG_ALLCONFIG=$(KOBJ)/fragment.config \
		>$(KOBJ)/config.log 2>&1 || { cat $(KOBJ)/config.log; exit 1; }
	@vm/checkconfig.sh $(KOBJ)/fragment.config $(KOBJ)/.config

kernel: $(KOBJ)/.config
	@vm/overlay.sh $(TOP) $(KSRC)
	@start=$$(date +%s); \
	$(KMAKE) bzImage headers && \
	echo "Kernel build took $$(( $$(date +%s) - start )) s: $(BZIMAGE)"

# --- selftests and guest -----------------------------------------------------
# The selftests and tools/ioasid's programs (vsva-demo), side by side: the
# guest runs every one of them in check mode.
selftests: kernel
	@mkdir -p $(STDIR)
	@$(MAKE) -s -C $(KSRC)/tools/testing/selftests/ioasid \
		OUTPUT=$(STDIR) KHDR_INCLUDES="-isystem $(HDRS)" \
		USERCFLAGS=-static
	@$(MAKE) -s -C $(KSRC)/tools/ioasid \
		OUTPUT=$(STDIR) KHDR_INCLUDES="-isystem $(HDRS)" \
		USERCFLAGS=-static

initramfs: selftests
	@vm/mkinitramfs.sh $(BUILD)/initramfs $(INITRAMFS) $(STDIR)

harness-selftest: deps
	@python3 vm/results_test.py

check: harness-selftest initramfs
	@CHECK_TESTS="$(subst $(space),$(comma),$(strip $(TESTS)))" \
		vm/run-vm.sh check $(BZIMAGE) $(INITRAMFS) $(LOG) $(TIMEOUT); \
	python3 vm/results.py $(LOG)

run: initramfs
	@vm/run-vm.sh shell $(BZIMAGE) $(INITRAMFS) $(BUILD)/guest-shell.log 0

# --- benchmark ---------------------------------------------------------------
# A non-debug kernel of its own (vm/bench.config turns the debugging off),
# the static benchmark program and an initramfs holding only it, all under
# $(BENCH_KOBJ) and $(BENCH_DIR); nothing here touches the test kernel's
# outputs.  BENCH_SIZES are buffer sizes in MiB.  BENCH_GUESTS are the guests
# to boot, one after the other: "vtd" (the emulated VT-d and the edu device:
# /dev/ioasid, iommufd and VFIO type1 on the same real domain type) and
# "mock" (no VT-d, which would keep iommufd's mock domain from being created,
# see README.md, "Benchmark": mock domains and the gup pin floor).  Each
# writes its console to $(BENCH_DIR)/guest-NAME.log; the report merges them.
BENCH_DIR	:= $(BUILD)/bench
BENCH_KOBJ	:= $(BUILD)/kobj-bench
BENCH_BZIMAGE	:= $(BENCH_KOBJ)/arch/x86/boot/bzImage
BENCH_HDRS	:= $(BENCH_KOBJ)/usr/include
BENCH_BIN	:= $(BENCH_DIR)/bin
BENCH_INITRAMFS	:= $(BENCH_DIR)/initramfs.cpio.gz
BENCH_RUNS	?= 7
BENCH_SIZES	?= 64,512
BENCH_MEM	?= 4G
BENCH_GUESTS	?= vtd mock
BENCH_TIMEOUT	?= 1200
# Needed by `make bench` only, so not in PACKAGES.
BENCH_PACKAGES	:= gnuplot-nox
BENCH_FRAGMENTS	:= vm/base.config tools/testing/selftests/ioasid/config \
		   vm/bench.config
BKMAKE = $(KBUILD_ENV) $(MAKE) -s -C $(KSRC) O=$(BENCH_KOBJ) -j$(JOBS) \
	 CC="ccache gcc" HOSTCC="ccache gcc"

bench-deps: deps
	$(call apt_install_missing,$(BENCH_PACKAGES))

$(BENCH_KOBJ)/.config: $(BUILD)/.source $(BENCH_FRAGMENTS) vm/bench-config.sh \
		       vm/checkconfig.sh
	@mkdir -p $(BENCH_KOBJ)
	@vm/overlay.sh $(TOP) $(KSRC)
	@vm/bench-config.sh merge $(BENCH_KOBJ)/fragment.config $(BENCH_FRAGMENTS)
	@$(BKMAKE) allnoconfig KCONFIG_ALLCONFIG=$(BENCH_KOBJ)/fragment.config \
		>$(BENCH_KOBJ)/config.log 2>&1 || \
		{ cat $(BENCH_KOBJ)/config.log; exit 1; }
	@vm/bench-config.sh verify $(BENCH_KOBJ)/fragment.config $(BENCH_KOBJ)/.config

bench-kernel: $(BENCH_KOBJ)/.config
	@vm/overlay.sh $(TOP) $(KSRC)
	@start=$$(date +%s); \
	$(BKMAKE) bzImage headers && \
	echo "Benchmark kernel build took $$(( $$(date +%s) - start )) s: $(BENCH_BZIMAGE)"

bench-prog: bench-kernel
	@mkdir -p $(BENCH_BIN)
	@$(MAKE) -s -C $(KSRC)/tools/testing/selftests/ioasid/bench \
		OUTPUT=$(BENCH_BIN) KHDR_INCLUDES="-isystem $(BENCH_HDRS)"

bench-initramfs: bench-prog
	@vm/mkinitramfs.sh $(BENCH_DIR)/initramfs $(BENCH_INITRAMFS) $(BENCH_BIN)

bench-harness-selftest: bench-deps
	@python3 vm/bench_report_test.py

bench: bench-harness-selftest bench-initramfs
	@logs=; \
	for g in $(BENCH_GUESTS); do \
		case $$g in \
		vtd) vtd=1 ;; \
		mock) vtd=0 ;; \
		*) echo "bench: unknown guest '$$g' in BENCH_GUESTS (vtd, mock)" >&2; \
		   exit 1 ;; \
		esac; \
		echo "bench: $$g guest"; \
		BENCH_MEM=$(BENCH_MEM) BENCH_VTD=$$vtd \
		BENCH_APPEND="ioasid_bench.mode=$$g ioasid_bench.runs=$(BENCH_RUNS) ioasid_bench.sizes=$(BENCH_SIZES)" \
		vm/run-vm.sh bench $(BENCH_BZIMAGE) $(BENCH_INITRAMFS) \
			$(BENCH_DIR)/guest-$$g.log $(BENCH_TIMEOUT) || exit 1; \
		logs="$$logs $(BENCH_DIR)/guest-$$g.log"; \
	done; \
	[ -n "$$logs" ] || { echo "bench: BENCH_GUESTS is empty" >&2; exit 1; }; \
	python3 vm/bench_report.py $$logs $(BENCH_DIR)

# --- static checks on the project's kernel files -----------------------------
KERNEL_FILES = $(filter drivers/% include/%,$(filter %.c %.h,$(OVERLAY_FILES)))
# Kernel style for the programs of tools/ioasid too (not the selftests).
TOOLS_FILES = $(filter tools/ioasid/%,$(filter %.c %.h,$(OVERLAY_FILES)))

lint: checkpatch sparse

checkpatch: $(BUILD)/.source
	@$(KSRC)/scripts/checkpatch.pl --strict --no-tree --terse -f \
		$(KERNEL_FILES) $(TOOLS_FILES) && echo "checkpatch: clean"

sparse: $(KOBJ)/.config
	@vm/overlay.sh $(TOP) $(KSRC)
	@$(KMAKE) C=2 W=1 drivers/iommu/ioasid/ drivers/vfio/ioasid.o \
		drivers/vhost/vdpa_ioasid.o 2>&1 | tee $(BUILD)/sparse.log; \
	if grep -q 'drivers/iommu/ioasid\|drivers/vfio/.*ioasid\|drivers/vhost/.*ioasid\|include/.*ioasid' \
		$(BUILD)/sparse.log; then \
		echo "sparse/W=1: warnings in our files" >&2; exit 1; fi; \
	echo "sparse and W=1: clean"

clean:
	rm -rf $(KOBJ) $(STDIR) $(BUILD)/initramfs $(INITRAMFS) $(BUILD)/*.log
	rm -rf $(BENCH_KOBJ) $(BENCH_DIR)

distclean:
	rm -rf $(BUILD)
