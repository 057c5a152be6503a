// SPDX-License-Identifier: GPL-2.0
/*
 * i8042.c - just enough of the PC keyboard controller for the guest to
 * reset the machine: command 0xfe on port 0x64 pulses the CPU reset line,
 * which is what Linux's reboot=k does (arch/x86/kernel/reboot.c).  mkvm
 * treats a reset as the end of the VM.
 *
 * Non-goals: a keyboard or mouse.  The FADT says there is no 8042, so Linux
 * does not probe one; status reads say "both buffers empty" so kb_wait()
 * never spins.
 */
#include <string.h>

#include "../vm.h"

void i8042_pio(struct vm *vm, uint16_t port, uint8_t *data, uint32_t len,
	       bool write)
{
	if (!write) {
		memset(data, 0, len);
		if (port == 0x64)
			data[0] = 0x1c;	/* self-test ok, unlocked, last=cmd */
		return;
	}
	if (port == 0x64 && data[0] == 0xfe)
		vm_request_stop(vm, STOP_RESET, 0);
}
