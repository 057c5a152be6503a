// SPDX-License-Identifier: GPL-2.0
/*
 * serial.c - a 16550A UART at 0x3f8 (COM1), IRQ 4, wired to mkvm's stdout
 * and stdin.  It is the guest console (console=ttyS0).
 *
 * The register model follows the National PC16550D data sheet closely enough
 * for Linux's 8250 driver, including its probing (scratch register, IER
 * read-back, loopback MSR test, FIFO bits in IIR).  The interrupt line is
 * driven through KVM_IRQ_LINE on GSI 4; the IOAPIC pin is edge-triggered
 * (ISA default), so we raise it on every new pending condition.
 *
 * Output is scanned for the kernel's "Kernel panic - not syncing" so that a
 * panicking guest ends mkvm with status 255 even if it does not reboot.
 *
 * Non-goals: baud rate timing, break, modem control lines other than the
 * loopback test, more than one port.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio.h"

#define RX_SIZE		4096

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IER_MSI		0x08
#define IIR_NONE	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0
#define LCR_DLAB	0x80
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MCR_LOOP	0x10

static const char panic_pat[] = "Kernel panic - not syncing";

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	int out_fd;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thr_ipending;
	int irq_level;
	uint8_t rx[RX_SIZE];
	unsigned int rx_head, rx_count;
	size_t panic_pos;
};

static uint8_t iir(struct serial *s)
{
	uint8_t fifo = (s->fcr & 1) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thr_ipending)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

static void update_irq(struct serial *s)
{
	int level = !(iir(s) & IIR_NONE);

	if (level != s->irq_level) {
		s->irq_level = level;
		vm_irq_line(s->vm, MKVM_SERIAL_GSI, level);
	}
}

static void scan_panic(struct serial *s, uint8_t c)
{
	if (c == (uint8_t)panic_pat[s->panic_pos])
		s->panic_pos++;
	else
		s->panic_pos = c == (uint8_t)panic_pat[0];
	if (s->panic_pos == sizeof(panic_pat) - 1) {
		uint64_t one = 1;

		s->panic_pos = 0;
		if (!s->vm->panicked) {
			s->vm->panicked = 1;
			if (write(s->vm->panic_efd, &one, sizeof(one)) < 0)
				abort();
		}
	}
}

static void tx(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {	/* loopback: echo into RX */
		if (s->rx_count < RX_SIZE) {
			s->rx[(s->rx_head + s->rx_count) % RX_SIZE] = c;
			s->rx_count++;
		}
		return;
	}
	scan_panic(s, c);
	if (s->out_fd >= 0 && write(s->out_fd, &c, 1) < 0 && errno != EAGAIN)
		s->out_fd = -1;		/* stdout gone: keep running */
}

void serial_pio(struct serial *s, uint16_t off, uint8_t *data, bool write)
{
	uint8_t v = *data;

	pthread_mutex_lock(&s->lock);
	if (write) {
		switch (off) {
		case 0:
			if (s->lcr & LCR_DLAB) {
				s->dll = v;
				break;
			}
			tx(s, v);
			/* We "transmit" instantly: THR is empty again. */
			s->thr_ipending = true;
			break;
		case 1:
			if (s->lcr & LCR_DLAB) {
				s->dlm = v;
				break;
			}
			/* Enabling THRI with THR empty interrupts at once. */
			if (!(s->ier & IER_THRI) && (v & IER_THRI))
				s->thr_ipending = true;
			s->ier = v & 0x0f;
			break;
		case 2:
			s->fcr = v & 0xc9;
			if (v & 0x02) {		/* clear RX FIFO */
				s->rx_head = s->rx_count = 0;
			}
			break;
		case 3:
			s->lcr = v;
			break;
		case 4:
			s->mcr = v & 0x1f;
			break;
		case 7:
			s->scr = v;
			break;
		}
	} else {
		switch (off) {
		case 0:
			if (s->lcr & LCR_DLAB) {
				v = s->dll;
				break;
			}
			v = 0;
			if (s->rx_count) {
				v = s->rx[s->rx_head];
				s->rx_head = (s->rx_head + 1) % RX_SIZE;
				s->rx_count--;
			}
			break;
		case 1:
			v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
			break;
		case 2:
			v = iir(s);
			/* Reading IIR acknowledges a THRE interrupt. */
			if ((v & 0x0f) == IIR_THRI)
				s->thr_ipending = false;
			break;
		case 3:
			v = s->lcr;
			break;
		case 4:
			v = s->mcr;
			break;
		case 5:
			v = LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
			break;
		case 6:
			if (s->mcr & MCR_LOOP) {
				/* RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD */
				v = (s->mcr & 0x02) << 3 | (s->mcr & 0x01) << 5 |
				    (s->mcr & 0x04) << 4 | (s->mcr & 0x08) << 4;
			} else {
				v = 0xb0;	/* DCD, DSR, CTS */
			}
			break;
		case 7:
			v = s->scr;
			break;
		}
		*data = v;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

/* Console input from the I/O thread; dropped when the FIFO is full. */
void serial_input(struct serial *s, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < len && s->rx_count < RX_SIZE; i++) {
		s->rx[(s->rx_head + s->rx_count) % RX_SIZE] = buf[i];
		s->rx_count++;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

struct serial *serial_create(struct vm *vm, int out_fd)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->vm = vm;
	s->out_fd = out_fd;
	pthread_mutex_init(&s->lock, NULL);
	vm->serial = s;
	return s;
}
