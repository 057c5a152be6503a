// SPDX-License-Identifier: GPL-2.0
/*
 * ctl.c - mkvm's control ports at MKVM_CTL_PORT (0x600):
 *
 *   +0  (32-bit write)  exit status of the command run by mkvm's guest init;
 *                       ends the VM, mkvm exits with this status.  This is
 *                       the "channel of mkvm's own" for `mkvm run -- CMD`.
 *   +4  (8-bit write)   ACPI SLEEP_CONTROL_REG: SLP_EN (bit 5) = poweroff.
 *   +5  (8-bit)         ACPI SLEEP_STATUS_REG: reads 0.
 *   +6  (8-bit write)   ACPI RESET_REG: MKVM_CTL_RESET_VALUE = reset.
 *
 * The FADT points the hardware-reduced ACPI registers here (acpi.c), so
 * `poweroff` and `reboot` in the guest end the VM without any emulated
 * chipset.
 */
#include <string.h>

#include "../vm.h"

void ctl_pio(struct vm *vm, uint16_t port, uint8_t *data, uint32_t len,
	     bool write)
{
	uint32_t v = 0;

	if (!write) {
		memset(data, 0, len);
		return;
	}
	memcpy(&v, data, len > 4 ? 4 : len);
	switch (port) {
	case MKVM_CTL_EXIT:
		vm_request_stop(vm, STOP_EXIT_STATUS, v & 0xff);
		break;
	case MKVM_CTL_SLEEP_CTL:
		if (v & 0x20)
			vm_request_stop(vm, STOP_POWEROFF, 0);
		break;
	case MKVM_CTL_RESET:
		if ((v & 0xff) == MKVM_CTL_RESET_VALUE)
			vm_request_stop(vm, STOP_RESET, 0);
		break;
	}
}
