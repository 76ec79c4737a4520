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
static float zigW32[256] __attribute__((aligned(64)));
static uint32_t zigK32[256] __attribute__((aligned(64)));

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
    state->next = COHORT_NOISE_BUFFER_WORDS;
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

// The counter blocks of AES-128-CTR (NIST SP 800-38A, §6.5): block n of a refill
// encrypts the 128-bit counter c + n, stored as two little-endian 64-bit words (low word
// first), and its 16 output bytes are words 2n and 2n + 1 of the buffer. Both refills
// below produce exactly this stream.

// AES-NI, 8 blocks in flight (AESENC has a latency of about 4 cycles and a throughput of
// 2 per cycle on current x86-64 cores, so 8 independent blocks keep it busy).
__attribute__((target("aes,sse4.1")))
static void aes_ctr_refill_narrow(cohort_noise_state *state) {
    __m128i rk[11];
    for (int round = 0; round < 11; round++) rk[round] = _mm_loadu_si128((const __m128i *)state->roundKeys + round);
    for (int block = 0; block < COHORT_NOISE_BUFFER_WORDS / 2; block += 8) {
        __m128i b[8];
        for (int j = 0; j < 8; j++) {
            b[j] = _mm_set_epi64x((long long)state->counter[1], (long long)state->counter[0]);
            if (++state->counter[0] == 0) state->counter[1]++;
            b[j] = _mm_xor_si128(b[j], rk[0]);
        }
        for (int round = 1; round < 10; round++)
            for (int j = 0; j < 8; j++) b[j] = _mm_aesenc_si128(b[j], rk[round]);
        for (int j = 0; j < 8; j++)
            _mm_storeu_si128((__m128i *)&state->buffer[2 * (block + j)], _mm_aesenclast_si128(b[j], rk[10]));
    }
    state->next = 0;
}

static int cpu_has_vaes_avx512(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1) || !((c >> 25) & 1)) return 0;  // OSXSAVE, AES
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6) != 0xe6) return 0;                                                      // ZMM state saved
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return ((b >> 16) & 1) && ((c >> 9) & 1);                                               // AVX512F, VAES
}

// VAES: four blocks per 512-bit register, 8 registers (32 blocks) in flight.
__attribute__((target("avx512f,vaes")))
static void aes_ctr_refill_wide(cohort_noise_state *state) {
    __m512i rk[11];
    for (int round = 0; round < 11; round++)
        rk[round] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)state->roundKeys + round));
    for (int block = 0; block < COHORT_NOISE_BUFFER_WORDS / 2; block += 32) {
        __m512i b[8];
        uint64_t low = state->counter[0], high = state->counter[1];
        if (low <= UINT64_MAX - 32) {
            // No carry into the high word within these 32 blocks: one vector add each.
            const __m512i base = _mm512_set_epi64((long long)high, (long long)low, (long long)high, (long long)low,
                                                  (long long)high, (long long)low, (long long)high, (long long)low);
            for (int j = 0; j < 8; j++) {
                const __m512i offset = _mm512_set_epi64(0, 4 * j + 3, 0, 4 * j + 2, 0, 4 * j + 1, 0, 4 * j);
                b[j] = _mm512_add_epi64(base, offset);
            }
            state->counter[0] = low + 32;
        } else {
            for (int j = 0; j < 8; j++) {
                uint64_t words[8];
                for (int lane = 0; lane < 4; lane++) {
                    words[2 * lane] = state->counter[0];
                    words[2 * lane + 1] = state->counter[1];
                    if (++state->counter[0] == 0) state->counter[1]++;
                }
                b[j] = _mm512_loadu_si512((const void *)words);
            }
        }
        for (int j = 0; j < 8; j++) b[j] = _mm512_xor_si512(b[j], rk[0]);
        for (int round = 1; round < 10; round++)
            for (int j = 0; j < 8; j++) b[j] = _mm512_aesenc_epi128(b[j], rk[round]);
        for (int j = 0; j < 8; j++)
            _mm512_storeu_si512((void *)&state->buffer[2 * block + 8 * j], _mm512_aesenclast_epi128(b[j], rk[10]));
    }
    state->next = 0;
}

static void aes_ctr_refill(cohort_noise_state *state) {
    if (state->wideAES) aes_ctr_refill_wide(state);
    else aes_ctr_refill_narrow(state);
}
#else
static int cpu_has_aesni(void) { return 0; }
static int cpu_has_vaes_avx512(void) { return 0; }
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
    state->wideAES = state->hardwareAES && cpu_has_vaes_avx512();
    state->next = COHORT_NOISE_BUFFER_WORDS;
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

int cohort_noise_init_keyed(cohort_noise_state *state, const uint8_t key[16], const uint64_t counter[2], int wide) {
    memset(state, 0, sizeof(*state));
    pthread_once(&zigOnce, zig_setup);
    if (!cpu_has_aesni() || (wide && !cpu_has_vaes_avx512())) return -1;
    state->secure = 1;
    state->hardwareAES = 1;
    state->wideAES = wide != 0;
    state->next = COHORT_NOISE_BUFFER_WORDS;
    state->counter[0] = counter[0];
    state->counter[1] = counter[1];
    aes_key_expand(key, state->roundKeys);
    return 0;
}

// Refills the buffer from the stream: the next words of xoshiro256** in order, the next
// AES-CTR blocks, or (without AES-NI) bytes from the kernel's CSPRNG.
static void refill(cohort_noise_state *state) {
    if (!state->secure) {
        for (int i = 0; i < COHORT_NOISE_BUFFER_WORDS; i++) state->buffer[i] = xoshiro_next(state->xoshiro);
        state->next = 0;
    } else if (state->hardwareAES) {
        aes_ctr_refill(state);
    } else {
        if (os_random(state->buffer, sizeof state->buffer) != 0) {
            // getrandom() on a Linux ≥ 3.17 system with the pool initialised does not fail.
            __builtin_trap();
        }
        state->next = 0;
    }
}

static inline uint64_t next_bits(cohort_noise_state *state) {
    if (__builtin_expect(state->next >= COHORT_NOISE_BUFFER_WORDS, 0)) refill(state);
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

// Normals come in chunks of up to 256 (each call to add Gaussian noise cuts its
// elements into chunks of 256 from its start; the last may be shorter). A chunk of n
// values takes ⌈n/2⌉ words of the stream: value 2k is the low half of word k and value
// 2k+1 the high half (the little-endian order of the 32-bit halves). Each 32-bit half
// gives the layer (low 8 bits) and a signed 24-bit value (high 24 bits), disjoint as
// Doornik (2005) recommends; the value's resolution, 2⁻²³ of the layer width, matches
// the precision of the float32 gradient the noise is added to. Values that miss the
// fast path (about 1.5%) are finished after the whole chunk, in order, with further
// draws. So the fast path has no branch on the random bits, and the scalar and the
// AVX-512 code consume the stream identically and give identical noise.
#define CHUNK 256

static inline __attribute__((always_inline)) void take_words(cohort_noise_state *state, uint64_t *out, int count) {
    if (state->next + count <= COHORT_NOISE_BUFFER_WORDS) {
        memcpy(out, &state->buffer[state->next], (size_t)count * sizeof(uint64_t));
        state->next += count;
        return;
    }
    for (int k = 0; k < count; k++) out[k] = next_bits(state);
}

static inline uint32_t half_word(const uint64_t *words, int lane) {
    return (uint32_t)(words[lane / 2] >> (32 * (lane & 1)));
}

// Fast path of lanes [from, to) of a chunk whose words are in `words`, portable: adds
// σ·z to the fast lanes and marks the slow ones in `slowMask` (one 16-bit mask a block).
static void fast_lanes_scalar(const uint64_t *words, float *x, int from, int to, float sigma, uint16_t *slowMask) {
    for (int lane = from; lane < to; lane++) {
        uint32_t r = half_word(words, lane);
        int layer = (int)(r & 0xff);
        int32_t j = (int32_t)r >> 8;
        uint32_t magnitude = (uint32_t)(j < 0 ? -j : j);
        if (magnitude < zigK32[layer]) {
            x[lane] = fmaf(sigma, (float)j * zigW32[layer], x[lane]);  // fused, as the AVX-512 path
        } else {
            slowMask[lane / 16] |= (uint16_t)(1u << (lane % 16));
        }
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

// The fast path of a group of `n` ≤ 4 whole blocks of 16 values with AVX-512: takes
// their words (straight from the buffer, not through a copy: a 64-byte load of smaller
// stores stalls store-to-load forwarding), keeps them in `words` for the slow lanes, adds
// σ·z to the fast lanes and marks the slow ones. No branch depends on the random bits.
//
// The layer tables are looked up without a gather (gathers are slow on some AVX-512
// processors, AMD Zen 4 among them): each 256-entry table is eight 32-entry eighths of
// two registers each; for the eighth e, one masked two-register permute (VPERMI2D) fills
// the lanes whose layer >> 5 is e. The permute overwrites its index register only in the
// masked lanes, so that register starts as the layers and ends as the table values. Each
// eighth's registers are loaded once for the whole group.
__attribute__((target("avx512f"), always_inline))
static inline void fast_group_avx512(cohort_noise_state *state, float *x, int n, float sigma,
                                     uint64_t *words, uint16_t *slowMask) {
    __m512i r[4], eighth[4], w[4], k[4];
    for (int b = 0; b < n; b++) {
        if (__builtin_expect(state->next + 8 <= COHORT_NOISE_BUFFER_WORDS, 1)) {
            r[b] = _mm512_loadu_si512((const void *)&state->buffer[state->next]);
            state->next += 8;
            _mm512_storeu_si512((void *)(words + 8 * b), r[b]);
        } else {
            take_words(state, words + 8 * b, 8);
            r[b] = _mm512_loadu_si512((const void *)(words + 8 * b));
        }
        w[b] = k[b] = _mm512_and_si512(r[b], _mm512_set1_epi32(0xff));
        eighth[b] = _mm512_srli_epi32(w[b], 5);
    }
    for (int e = 0; e < 8; e++) {
        const __m512i wLow = _mm512_load_si512((const void *)(zigW32 + 32 * e));
        const __m512i wHigh = _mm512_load_si512((const void *)(zigW32 + 32 * e + 16));
        const __m512i kLow = _mm512_load_si512((const void *)(zigK32 + 32 * e));
        const __m512i kHigh = _mm512_load_si512((const void *)(zigK32 + 32 * e + 16));
        for (int b = 0; b < n; b++) {
            __mmask16 here = _mm512_cmpeq_epi32_mask(eighth[b], _mm512_set1_epi32(e));
            w[b] = _mm512_mask2_permutex2var_epi32(wLow, w[b], here, wHigh);
            k[b] = _mm512_mask2_permutex2var_epi32(kLow, k[b], here, kHigh);
        }
    }
    const __m512 vsigma = _mm512_set1_ps(sigma);
    for (int b = 0; b < n; b++) {
        __m512i j = _mm512_srai_epi32(r[b], 8);
        __mmask16 fast = _mm512_cmplt_epu32_mask(_mm512_abs_epi32(j), k[b]);
        __m512 z = _mm512_mul_ps(_mm512_cvtepi32_ps(j), _mm512_castsi512_ps(w[b]));
        float *out = x + 16 * b;
        __m512 old = _mm512_loadu_ps(out);
        _mm512_storeu_ps(out, _mm512_mask_blend_ps(fast, old, _mm512_fmadd_ps(vsigma, z, old)));
        slowMask[b] = (uint16_t)~fast;
    }
}

__attribute__((target("avx512f")))
static void fast_blocks_avx512(cohort_noise_state *state, float *x, int blocks, float sigma,
                               uint64_t *words, uint16_t *slowMask) {
    int block = 0;
    for (; block + 4 <= blocks; block += 4)
        fast_group_avx512(state, x + 16 * block, 4, sigma, words + 8 * block, slowMask + block);
    for (; block < blocks; block++)
        fast_group_avx512(state, x + 16 * block, 1, sigma, words + 8 * block, slowMask + block);
}

static int use_avx512(void) {
    static int avx512 = -1;
    if (avx512 < 0) avx512 = cpu_has_avx512f();
    return avx512;
}
#endif

// One chunk of `lanes` ≤ CHUNK values.
static void add_chunk(cohort_noise_state *state, float *x, int lanes, float sigma) {
    uint64_t words[CHUNK / 2];
    uint16_t slowMask[CHUNK / 16] = {0};
    int done = 0;
#if defined(__x86_64__)
    if (!state->forceScalar && use_avx512()) {
        fast_blocks_avx512(state, x, lanes / 16, sigma, words, slowMask);
        done = lanes / 16 * 16;
    }
#endif
    take_words(state, words + done / 2, (lanes + 1) / 2 - done / 2);
    fast_lanes_scalar(words, x, done, lanes, sigma, slowMask);
    for (int block = 0; block * 16 < lanes; block++) {
        for (unsigned slow = slowMask[block]; slow != 0; slow &= slow - 1) {
            int lane = 16 * block + __builtin_ctz(slow);
            uint32_t r = half_word(words, lane);
            x[lane] = fmaf(sigma, (float)slow_normal32(state, (int)(r & 0xff), (int32_t)r >> 8), x[lane]);
        }
    }
}

void cohort_noise_add_gaussian(cohort_noise_state *state, float *x, size_t count, double standardDeviation) {
    const float sigma = (float)standardDeviation;
    for (size_t i = 0; i < count; i += CHUNK) {
        size_t lanes = count - i < CHUNK ? count - i : CHUNK;
        add_chunk(state, x + i, (int)lanes, sigma);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static size_t add_scaled_avx512(float *x, const float *z, size_t count, float sigma, float scale) {
    const __m512 vsigma = _mm512_set1_ps(sigma), vscale = _mm512_set1_ps(scale);
    size_t i = 0;
    for (; i + 16 <= count; i += 16)
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_fmadd_ps(vsigma, _mm512_loadu_ps(z + i), _mm512_loadu_ps(x + i)), vscale));
    return i;
}
#endif

void cohort_noise_add_scaled(float *x, const float *z, size_t count, float sigma, float scale) {
    size_t i = 0;
#if defined(__x86_64__)
    if (use_avx512()) i = add_scaled_avx512(x, z, count, sigma, scale);
#endif
    for (; i < count; i++) x[i] = fmaf(sigma, z[i], x[i]) * scale;
}

void cohort_noise_fill_gaussian(cohort_noise_state *state, double *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = standard_normal(state);
}
