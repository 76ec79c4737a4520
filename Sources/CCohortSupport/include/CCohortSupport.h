#ifndef CCOHORT_SUPPORT_H
#define CCOHORT_SUPPORT_H

#include <stdint.h>
#include "CCohortNoise.h"

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

/// Limits glibc's malloc to one arena for all threads (mallopt M_ARENA_MAX); returns 1 on
/// success, 0 where it failed or there is no glibc. Call before any thread starts.
int cohort_malloc_use_one_arena(void);

#endif
