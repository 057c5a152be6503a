# SPDX-License-Identifier: GPL-2.0
#
# minikvm top-level Makefile.
#
#   make                 module (against KDIR), userspace tools, selftests
#   make module          just module/minikvm.ko
#   make check           every test: host unit tests, builds, lint, and the
#                        selftests in emulated machines (installs its own
#                        dependencies; see Documentation/testing.md)
#   make check-debug     the selftests on the KASAN/lockdep debug kernel only
#   make upstream        Linux 6.1's KVM selftests in QEMU-SVM on /dev/kvm and
#                        /dev/minikvm; prints the table (out/upstream/table.txt)
#   make demo            boot an emulated machine, load minikvm, show it work
#   make lint            checkpatch --strict and sparse over the module
#   make matrix          W=1 builds against 6.1, 6.12 and 7.x headers
#   make install         install the module, depmod, udev rule
#   make bench           minikvm vs stock KVM in one QEMU-SVM boot (bench/run.sh)
#   make fuzz            the KVM ioctl fuzzer alone on the debug kernel in QEMU-SVM:
#                        DURATION=seconds (600), SEED=..., FUZZ_ARGS="...", and
#                        FUZZ_KERNEL=6.1|6.12|debug, FUZZ_DEV=minikvm|kvm|both
#
# KDIR defaults to the running kernel's build tree; KDIR=... always wins.

KDIR ?= /lib/modules/$(shell uname -r)/build
# Kbuild's W= and C= pass straight through, e.g. "make W=1".
KBUILD_ARGS := -C $(KDIR) M=$(CURDIR)

.PHONY: all module userspace selftests clean install lint matrix check \
	check-debug upstream demo bench fuzz help

all: module userspace selftests

module:
	$(MAKE) $(KBUILD_ARGS) modules

userspace:
	@if [ -f userspace/Makefile ]; then $(MAKE) -C userspace; fi

selftests:
	$(MAKE) -C selftests

clean:
	-$(MAKE) $(KBUILD_ARGS) clean
	-@if [ -f userspace/Makefile ]; then $(MAKE) -C userspace clean; fi
	-$(MAKE) -C selftests clean
	rm -rf out

install:
	scripts/install.sh $(KDIR)

lint:
	scripts/lint.sh $(KDIR)

matrix:
	scripts/matrix.sh

check:
	scripts/check.sh

check-debug:
	scripts/check.sh --only debug

upstream:
	scripts/upstream-selftests.sh run --out out/upstream

demo:
	scripts/demo.sh

bench:
	bench/run.sh

DURATION ?= 600
FUZZ_KERNEL ?= debug
FUZZ_DEV ?= minikvm
fuzz:
	scripts/fuzz.sh --duration $(DURATION) --kernel $(FUZZ_KERNEL) --dev $(FUZZ_DEV) \
		$(if $(SEED),--seed $(SEED)) $(if $(FUZZ_ARGS),--args "$(FUZZ_ARGS)")

help:
	@sed -n '3,23p' Makefile
