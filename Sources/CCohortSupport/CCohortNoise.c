#include "CCohortNoise.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

// ---------------------------------------------------------------------------------------
// Ziggurat tables (Marsaglia and Tsang, "The Ziggurat Method for Generating Random
// Variables", J. Statistical Software 5(8), 2000), 256 layers for f(x) = exp(-x²/2):
// r = 3.6541528853610088 is the start of the tail and v = 0.00492867323399 the common
// area of each layer. X[0] = v/f(r) is the width of the base layer (which includes the
// tail), X[1] = r, X[i+1] = f⁻¹(f(X[i]) + v/X[i]), X[256] = 0.

static const double zigR = 3.6541528853610088;
static const double zigV = 0.00492867323399;
static double zigX[257];
static double zigF[257];
static pthread_once_t zigOnce = PTHREAD_ONCE_INIT;
// Single-precision fast path (Marsaglia and Tsang's integer comparison): for a 24-bit
// signed integer j and layer i, accept x = j·w[i] when |j| < k[i], where
// w[i] = X[i]/2²³ and k[i] = ⌊2²³·X[i+1]/X[i]⌋.
static float zigW32[256];
static uint32_t zigK32[256];
// The same two tables interleaved, (w[i] bits) | k[i] << 32, so one 64-bit gather
// fetches both.
static uint64_t zigWK64[256];

static void zig_setup(void) {
    double f = exp(-0.5 * zigR * zigR);
    zigX[0] = zigV / f;
    zigX[1] = zigR;
    zigF[0] = 0.0;
    zigF[1] = f;
    for (int i = 1; i < 255; i++) {
        double next = sqrt(-2.0 * log(zigF[i] + zigV / zigX[i]));
        zigX[i + 1] = next;
        zigF[i + 1] = exp(-0.5 * next * next);
    }
    zigX[256] = 0.0;
    zigF[256] = 1.0;
    zigX[255] = zigX[255] > 0 ? zigX[255] : 0.0;
    for (int i = 0; i < 256; i++) {
        zigW32[i] = (float)(zigX[i] * 0x1.0p-23);
        zigK32[i] = (uint32_t)floor(0x1.0p23 * (zigX[i + 1] / zigX[i]));
        uint32_t wBits;
        memcpy(&wBits, &zigW32[i], sizeof wBits);
        zigWK64[i] = (uint64_t)wBits | ((uint64_t)zigK32[i] << 32);
    }
}

// ---------------------------------------------------------------------------------------
// Bits: xoshiro256** (Blackman and Vigna 2021) or AES-128-CTR.

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t xoshiro_next(uint64_t *s) {
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

void cohort_noise_init_seeded(cohort_noise_state *state, uint64_t seed) {
    memset(state, 0, sizeof(*state));
    pthread_once(&zigOnce, zig_setup);
    uint64_t z = seed;
    for (int i = 0; i < 4; i++) {
        z += 0x9E3779B97F4A7C15ULL;
        uint64_t v = z;
        v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ULL;
        v = (v ^ (v >> 27)) * 0x94D049BB133111EBULL;
        state->xoshiro[i] = v ^ (v >> 31);
    }
    state->next = 64;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static int cpu_has_aesni(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c >> 25) & 1;
}

__attribute__((target("aes,sse4.1")))
static __m128i aes_expand_step(__m128i key, __m128i assist) {
    assist = _mm_shuffle_epi32(assist, 0xff);
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, assist);
}

// AES-128 key schedule with AESKEYGENASSIST (Intel, "Advanced Encryption Standard (AES)
// New Instructions Set", white paper 323641, 2010, Figure 19).
__attribute__((target("aes,sse4.1")))
static void aes_key_expand(const uint8_t key[16], uint8_t roundKeys[176]) {
    __m128i *rk = (__m128i *)roundKeys;
    __m128i k = _mm_loadu_si128((const __m128i *)key);
    rk[0] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x01)); rk[1] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x02)); rk[2] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x04)); rk[3] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x08)); rk[4] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x10)); rk[5] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x20)); rk[6] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x40)); rk[7] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x80)); rk[8] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x1b)); rk[9] = k;
    k = aes_expand_step(k, _mm_aeskeygenassist_si128(k, 0x36)); rk[10] = k;
}

// 32 counter blocks through AES-128: 64 words of keystream.
__attribute__((target("aes,sse4.1")))
static void aes_ctr_refill(cohort_noise_state *state) {
    const __m128i *rk = (const __m128i *)state->roundKeys;
    for (int block = 0; block < 32; block += 4) {
        __m128i b[4];
        for (int j = 0; j < 4; j++) {
            b[j] = _mm_set_epi64x((long long)state->counter[1], (long long)state->counter[0]);
            if (++state->counter[0] == 0) state->counter[1]++;
            b[j] = _mm_xor_si128(b[j], rk[0]);
        }
        for (int round = 1; round < 10; round++)
            for (int j = 0; j < 4; j++) b[j] = _mm_aesenc_si128(b[j], rk[round]);
        for (int j = 0; j < 4; j++) {
            b[j] = _mm_aesenclast_si128(b[j], rk[10]);
            _mm_storeu_si128((__m128i *)&state->buffer[2 * (block + j)], b[j]);
        }
    }
    state->next = 0;
}
#else
static int cpu_has_aesni(void) { return 0; }
static void aes_key_expand(const uint8_t key[16], uint8_t roundKeys[176]) { (void)key; (void)roundKeys; }
static void aes_ctr_refill(cohort_noise_state *state) { (void)state; }
#endif

static int os_random(void *buffer, size_t length) {
    uint8_t *p = buffer;
    while (length > 0) {
        ssize_t got = getrandom(p, length, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += got;
        length -= (size_t)got;
    }
    return 0;
}

int cohort_noise_init_secure(cohort_noise_state *state) {
    memset(state, 0, sizeof(*state));
    pthread_once(&zigOnce, zig_setup);
    state->secure = 1;
    state->hardwareAES = cpu_has_aesni();
    state->next = 64;
    if (state->hardwareAES) {
        uint8_t key[16];
        int error = os_random(key, sizeof key);
        if (error) return error;
        error = os_random(state->counter, sizeof state->counter);
        if (error) return error;
        aes_key_expand(key, state->roundKeys);
        memset(key, 0, sizeof key);
    }
    return 0;
}

static inline uint64_t next_bits(cohort_noise_state *state) {
    if (!state->secure) return xoshiro_next(state->xoshiro);
    if (state->next >= 64) {
        if (state->hardwareAES) {
            aes_ctr_refill(state);
        } else {
            // Without AES-NI, take the bits straight from the kernel's CSPRNG.
            if (os_random(state->buffer, sizeof state->buffer) != 0) {
                // getrandom() on a Linux ≥ 3.17 system with the pool initialised does not fail.
                __builtin_trap();
            }
            state->next = 0;
        }
    }
    return state->buffer[state->next++];
}

void cohort_noise_fill_bits(cohort_noise_state *state, uint64_t *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = next_bits(state);
}

// Uniform in (0, 1]: 53 random bits, never zero (so log() is finite).
static inline double uniform_open_zero(cohort_noise_state *state) {
    return ((double)(next_bits(state) >> 11) + 1.0) * 0x1.0p-53;
}

// A draw from the normal tail beyond r (Marsaglia, "Generating a variable from the tail
// of the normal distribution", Technometrics 1964), with the given sign.
static double tail_beyond_r(cohort_noise_state *state, int negative) {
    double a, b;
    do {
        a = -log(uniform_open_zero(state)) / zigR;
        b = -log(uniform_open_zero(state));
    } while (b + b < a * a);
    return negative ? -(zigR + a) : zigR + a;
}

// The wedge test of layer i for a candidate x: a uniform height between f(X[i]) and
// f(X[i+1]) falls under the curve f(x).
static int wedge_accepts(cohort_noise_state *state, int layer, double x) {
    double y = zigF[layer] + uniform_open_zero(state) * (zigF[layer + 1] - zigF[layer]);
    return y < exp(-0.5 * x * x);
}

static inline double standard_normal(cohort_noise_state *state) {
    for (;;) {
        uint64_t bits = next_bits(state);
        int layer = (int)(bits & 0xff);
        // Upper 53 bits as a signed value in [-1, 1): disjoint from the layer bits.
        double u = (double)((int64_t)bits >> 11) * 0x1.0p-52;
        double x = u * zigX[layer];
        if (fabs(x) < zigX[layer + 1]) return x;
        if (layer == 0) return tail_beyond_r(state, u < 0);
        if (wedge_accepts(state, layer, x)) return x;
    }
}

// The rare slow path of the 32-bit draw: the tail or a wedge, for layer i and the
// signed 24-bit value j already drawn; a rejected candidate starts over with full
// 64-bit draws.
static double slow_normal32(cohort_noise_state *state, int layer, int32_t j) {
    double x = (double)j * 0x1.0p-23 * zigX[layer];
    if (layer == 0) return tail_beyond_r(state, j < 0);
    if (wedge_accepts(state, layer, x)) return x;
    return standard_normal(state);
}

// Normals come in blocks of 16 from 8 words of the stream: lane 2k is the low half of
// word k and lane 2k+1 the high half (the little-endian order of the 32-bit halves).
// Each 32-bit half gives the layer (low 8 bits) and a signed 24-bit value (high 24 bits),
// disjoint as Doornik (2005) recommends; the value's resolution, 2⁻²³ of the layer width,
// matches the precision of the float32 gradient the noise is added to. Lanes that miss
// the fast path (about 1.2%) are finished afterwards in lane order with further draws, so
// the scalar and the AVX-512 code consume the stream identically and give identical noise.

static inline __attribute__((always_inline)) void take_words(cohort_noise_state *state, uint64_t *out, int count) {
    if (state->secure && state->next + count <= 64) {
        memcpy(out, &state->buffer[state->next], (size_t)count * sizeof(uint64_t));
        state->next += count;
        return;
    }
    for (int k = 0; k < count; k++) out[k] = next_bits(state);
}

static inline float fast_or_slow(cohort_noise_state *state, uint32_t r, int *slow) {
    int layer = (int)(r & 0xff);
    int32_t j = (int32_t)r >> 8;
    uint32_t magnitude = (uint32_t)(j < 0 ? -j : j);
    if (magnitude < zigK32[layer]) return (float)j * zigW32[layer];
    *slow = 1;
    return 0;
}

// One block of up to 16 normals, portable.
static void add_block_scalar(cohort_noise_state *state, float *x, int lanes, float sigma) {
    uint64_t words[8];
    take_words(state, words, (lanes + 1) / 2);
    float z[16];
    int slow[16] = {0};
    for (int lane = 0; lane < lanes; lane++) {
        uint32_t r = (uint32_t)(words[lane / 2] >> (32 * (lane & 1)));
        z[lane] = fast_or_slow(state, r, &slow[lane]);
    }
    for (int lane = 0; lane < lanes; lane++) {
        if (slow[lane]) {
            uint32_t r = (uint32_t)(words[lane / 2] >> (32 * (lane & 1)));
            z[lane] = (float)slow_normal32(state, (int)(r & 0xff), (int32_t)r >> 8);
        }
        x[lane] = fmaf(sigma, z[lane], x[lane]);  // fused, as the AVX-512 path
    }
}

#if defined(__x86_64__)
static int cpu_has_avx512f(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1)) return 0;   // OSXSAVE
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6) != 0xe6) return 0;                                    // ZMM state saved
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 16) & 1;
}

// Whole blocks of 16 with AVX-512: gathers for the layer tables, one comparison for the
// fast path, the rare slow lanes patched in lane order.
__attribute__((target("avx512f")))
static size_t add_blocks_avx512(cohort_noise_state *state, float *x, size_t count, float sigma) {
    const __m512i low8 = _mm512_set1_epi32(0xff);
    const __m512 vsigma = _mm512_set1_ps(sigma);
    const __m512i evenLanes = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i oddLanes = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    size_t i = 0;
    uint64_t words[8];
    for (; i + 16 <= count; i += 16) {
        take_words(state, words, 8);
        __m512i r = _mm512_loadu_si512((const void *)words);
        __m512i layer = _mm512_and_si512(r, low8);
        __m512i j = _mm512_srai_epi32(r, 8);
        __m512i pairsLow = _mm512_i32gather_epi64(_mm512_castsi512_si256(layer), (const void *)zigWK64, 8);
        __m512i pairsHigh = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(layer, 1), (const void *)zigWK64, 8);
        __m512i k = _mm512_permutex2var_epi32(pairsLow, oddLanes, pairsHigh);
        __m512 w = _mm512_castsi512_ps(_mm512_permutex2var_epi32(pairsLow, evenLanes, pairsHigh));
        __mmask16 fast = _mm512_cmplt_epu32_mask(_mm512_abs_epi32(j), k);
        __m512 z = _mm512_mul_ps(_mm512_cvtepi32_ps(j), w);
        if (fast != 0xffff) {
            float zs[16];
            _mm512_storeu_ps(zs, z);
            for (int lane = 0; lane < 16; lane++) {
                if ((fast >> lane) & 1) continue;
                uint32_t bits = (uint32_t)(words[lane / 2] >> (32 * (lane & 1)));
                zs[lane] = (float)slow_normal32(state, (int)(bits & 0xff), (int32_t)bits >> 8);
            }
            z = _mm512_loadu_ps(zs);
        }
        _mm512_storeu_ps(x + i, _mm512_fmadd_ps(vsigma, z, _mm512_loadu_ps(x + i)));
    }
    return i;
}
#endif

void cohort_noise_add_gaussian(cohort_noise_state *state, float *x, size_t count, double standardDeviation) {
    const float sigma = (float)standardDeviation;
    size_t i = 0;
#if defined(__x86_64__)
    static int avx512 = -1;
    if (avx512 < 0) avx512 = cpu_has_avx512f();
    if (avx512 && !state->forceScalar) i = add_blocks_avx512(state, x, count, sigma);
#endif
    for (; i < count; i += 16) {
        size_t lanes = count - i < 16 ? count - i : 16;
        add_block_scalar(state, x + i, (int)lanes, sigma);
    }
}

void cohort_noise_fill_gaussian(cohort_noise_state *state, double *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = standard_normal(state);
}
