#ifndef CCOHORT_SUPPORT_H
#define CCOHORT_SUPPORT_H

#include <stdint.h>
#include "CCohortNoise.h"
#include "CCohortRows.h"

/// CPU features that decide which OpenBLAS kernel can run, read with `cpuid`.
/// All zero on processors other than x86-64.
typedef struct {
    int sse2, sse3, ssse3, sse41, sse42, avx, avx2, fma;
    int avx512f, avx512dq, avx512cd, avx512bw, avx512vl, avx512bf16;
    int osSavesYMM, osSavesZMM;
    char vendor[13];
    char brand[49];
} cohort_cpu_features;

/// Fills `out` from `cpuid` (leaves 0, 1, 7 and 0x80000002-4) and `xgetbv`.
void cohort_read_cpu_features(cohort_cpu_features *out);

/// Sets or clears flush-to-zero and denormals-are-zero (MXCSR bits 15 and 6) for the
/// calling thread. Returns 1 if the processor has such a control, 0 otherwise.
int cohort_set_flush_to_zero(int enabled);

/// 1 if flush-to-zero and denormals-are-zero are both on for the calling thread.
int cohort_flush_to_zero_enabled(void);

/// Makes standard output line-buffered, so a line printed to a file or a pipe (a run id a
/// script waits for) is there at once rather than when the buffer fills or the process ends.
void cohort_line_buffer_standard_output(void);

/// Sets the calling thread's timer slack (how late the kernel may end its sleeps;
/// 50 µs by default) with prctl(PR_SET_TIMERSLACK). Returns 0 or -1.
int cohort_set_timer_slack(unsigned long nanoseconds);

/// Moves the calling thread to Linux's SCHED_IDLE policy (`idle` 1: it runs only on a
/// processor that has nothing else to run, and never preempts other work) or back to
/// SCHED_OTHER (0). Returns 0 or -1.
int cohort_set_idle_scheduling(int idle);

/// 1 if the calling thread may return from SCHED_IDLE to SCHED_OTHER (root, or an
/// RLIMIT_NICE that allows nice 0).
int cohort_can_leave_idle_scheduling(void);

/// Limits glibc's malloc to one arena for all threads (mallopt M_ARENA_MAX); returns 1 on
/// success, 0 where it failed or there is no glibc. Call before any thread starts.
int cohort_malloc_use_one_arena(void);

#endif
