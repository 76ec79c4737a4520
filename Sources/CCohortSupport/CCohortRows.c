#include "CCohortRows.h"

// Per-row kernels for DP-SGD's per-example clipping, called once per layer and step on
// every row of a batch: rows are short (2 to 784 values), so a call per row from Swift
// costs as much as the arithmetic.
//
// Both paths sum a row in the same order: lane l of 16 accumulates the elements at
// positions ≡ l (mod 16) (products rounded, then added; no fused multiply-add), and the
// 16 lanes are then added as a binary tree (lanes l and l + 8, then l and l + 4, ...),
// so a row's norm does not depend on which path ran.

#if defined(__x86_64__)
#include <immintrin.h>

static int rows_use_avx512(void) {
    static int avx512 = -1;
    if (avx512 < 0) {
        __builtin_cpu_init();
        avx512 = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return avx512;
}

__attribute__((target("avx512f")))
static float tree_sum_avx512(__m512 v) {
    __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
    __m128 d = _mm_add_ss(c, _mm_movehdup_ps(c));
    return _mm_cvtss_f32(d);
}

__attribute__((target("avx512f")))
static void row_squared_norms_avx512(const float *m, size_t rows, size_t columns, float *out) {
    const size_t full = columns / 16;
    const __mmask16 tail = (__mmask16)((1u << (columns % 16)) - 1);
    for (size_t i = 0; i < rows; i++) {
        const float *row = m + i * columns;
        __m512 sum = _mm512_setzero_ps();
        for (size_t b = 0; b < full; b++) {
            __m512 v = _mm512_loadu_ps(row + 16 * b);
            sum = _mm512_add_ps(sum, _mm512_mul_ps(v, v));
        }
        if (tail) {
            __m512 v = _mm512_maskz_loadu_ps(tail, row + 16 * full);
            sum = _mm512_add_ps(sum, _mm512_mul_ps(v, v));
        }
        out[i] = tree_sum_avx512(sum);
    }
}

__attribute__((target("avx512f")))
static void scale_rows_avx512(float *m, size_t rows, size_t columns, const float *factors) {
    const size_t full = columns / 16;
    const __mmask16 tail = (__mmask16)((1u << (columns % 16)) - 1);
    for (size_t i = 0; i < rows; i++) {
        if (factors[i] == 1.0f) continue;
        float *row = m + i * columns;
        const __m512 f = _mm512_set1_ps(factors[i]);
        for (size_t b = 0; b < full; b++) _mm512_storeu_ps(row + 16 * b, _mm512_mul_ps(_mm512_loadu_ps(row + 16 * b), f));
        if (tail) _mm512_mask_storeu_ps(row + 16 * full, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, row + 16 * full), f));
    }
}
#endif

void cohort_row_squared_norms(const float *m, size_t rows, size_t columns, float *out) {
#if defined(__x86_64__)
    if (rows_use_avx512()) {
        row_squared_norms_avx512(m, rows, columns, out);
        return;
    }
#endif
    for (size_t i = 0; i < rows; i++) {
        const float *row = m + i * columns;
        float lanes[16] = {0};
        for (size_t j = 0; j < columns; j++) {
            float square = row[j] * row[j];
            lanes[j % 16] = lanes[j % 16] + square;
        }
        for (int width = 8; width >= 1; width /= 2)
            for (int l = 0; l < width; l++) lanes[l] = lanes[l] + lanes[l + width];
        out[i] = lanes[0];
    }
}

void cohort_scale_rows(float *m, size_t rows, size_t columns, const float *factors) {
#if defined(__x86_64__)
    if (rows_use_avx512()) {
        scale_rows_avx512(m, rows, columns, factors);
        return;
    }
#endif
    for (size_t i = 0; i < rows; i++) {
        if (factors[i] == 1.0f) continue;
        for (size_t j = 0; j < columns; j++) m[i * columns + j] *= factors[i];
    }
}
