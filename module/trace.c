// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - instantiates the tracepoints declared in mkvm_trace.h.
 *
 * Exactly one object file defines CREATE_TRACE_POINTS before including a
 * trace header (Documentation/trace/tracepoints.rst); this is it, so the
 * vendor backends only include the header and call trace_mkvm_*().
 *
 * Non-goals: anything else.
 */
#define CREATE_TRACE_POINTS
#include "mkvm_trace.h"
