#define _GNU_SOURCE
#include "CCohortSupport.h"
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

void cohort_line_buffer_standard_output(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <xmmintrin.h>

static uint64_t cohort_xgetbv(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

void cohort_read_cpu_features(cohort_cpu_features *out) {
    memset(out, 0, sizeof(*out));
    unsigned int a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    unsigned int maxLeaf = a;
    memcpy(out->vendor + 0, &b, 4);
    memcpy(out->vendor + 4, &d, 4);
    memcpy(out->vendor + 8, &c, 4);
    out->vendor[12] = 0;

    __get_cpuid(1, &a, &b, &c, &d);
    out->sse2 = (d >> 26) & 1;
    out->sse3 = (c >> 0) & 1;
    out->ssse3 = (c >> 9) & 1;
    out->sse41 = (c >> 19) & 1;
    out->sse42 = (c >> 20) & 1;
    out->fma = (c >> 12) & 1;
    int osxsave = (c >> 27) & 1;
    out->avx = (c >> 28) & 1;
    if (osxsave) {
        uint64_t xcr0 = cohort_xgetbv();
        out->osSavesYMM = (xcr0 & 0x6) == 0x6;
        out->osSavesZMM = (xcr0 & 0xe6) == 0xe6;
    }
    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        out->avx2 = (b >> 5) & 1;
        out->avx512f = (b >> 16) & 1;
        out->avx512dq = (b >> 17) & 1;
        out->avx512cd = (b >> 28) & 1;
        out->avx512bw = (b >> 30) & 1;
        out->avx512vl = (b >> 31) & 1;
        __cpuid_count(7, 1, a, b, c, d);
        out->avx512bf16 = (a >> 5) & 1;
    }
    __get_cpuid(0x80000000, &a, &b, &c, &d);
    if (a >= 0x80000004) {
        unsigned int regs[12];
        for (unsigned int i = 0; i < 3; i++) {
            __get_cpuid(0x80000002 + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
        }
        memcpy(out->brand, regs, 48);
        out->brand[48] = 0;
    }
}

int cohort_set_flush_to_zero(int enabled) {
    unsigned int csr = _mm_getcsr();
    const unsigned int bits = 0x8040; // FTZ (bit 15) | DAZ (bit 6)
    _mm_setcsr(enabled ? (csr | bits) : (csr & ~bits));
    return 1;
}

int cohort_flush_to_zero_enabled(void) {
    return (_mm_getcsr() & 0x8040) == 0x8040;
}

#else

void cohort_read_cpu_features(cohort_cpu_features *out) { memset(out, 0, sizeof(*out)); }
int cohort_set_flush_to_zero(int enabled) { (void)enabled; return 0; }
int cohort_flush_to_zero_enabled(void) { return 0; }

#endif

int cohort_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

int cohort_set_idle_scheduling(int idle) {
    struct sched_param parameter = {0};
    return sched_setscheduler(0, idle ? SCHED_IDLE : SCHED_OTHER, &parameter);
}

int cohort_can_leave_idle_scheduling(void) {
    // sched(7): an unprivileged thread may switch back from SCHED_IDLE to SCHED_OTHER only
    // if RLIMIT_NICE allows its nice value (0 here): 20 − limit ≤ 0.
    struct rlimit limit;
    if (geteuid() == 0) return 1;
    if (getrlimit(RLIMIT_NICE, &limit) != 0) return 0;
    return limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= 20;
}

#if defined(__GLIBC__)
#include <malloc.h>
int cohort_malloc_use_one_arena(void) { return mallopt(M_ARENA_MAX, 1); }
#else
int cohort_malloc_use_one_arena(void) { return 0; }
#endif
