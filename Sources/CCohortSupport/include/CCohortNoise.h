#ifndef CCOHORT_NOISE_H
#define CCOHORT_NOISE_H

#include <stddef.h>
#include <stdint.h>

/// Words of the stream generated ahead in one refill (16 batches of 8 AES-CTR blocks).
#define COHORT_NOISE_BUFFER_WORDS 256

/// The state of a Gaussian noise generator: where its random bits come from
/// (AES-128 in counter mode keyed from the operating system, or seeded xoshiro256**),
/// and a buffer of bits not yet used. Both kinds of stream are read through the buffer
/// in order, so buffering changes no value drawn.
typedef struct {
    int secure;                    // 1: AES-128-CTR with a key from getrandom(); 0: xoshiro256**
    int hardwareAES;               // 1 when AES-NI is used for the secure stream
    int wideAES;                   // 1 when the AES-CTR refill uses VAES on 512-bit registers
    int forceScalar;               // 1: never use the AVX-512 path (tests compare both)
    uint64_t xoshiro[4];
    uint8_t roundKeys[176] __attribute__((aligned(16)));
    uint64_t counter[2];           // the next counter block, low word first
    int next;                      // index of the next unused word in buffer
    uint64_t buffer[COHORT_NOISE_BUFFER_WORDS];
} cohort_noise_state;

/// Seeds a reproducible (not secure) stream: xoshiro256** from SplitMix64(seed).
void cohort_noise_init_seeded(cohort_noise_state *state, uint64_t seed);

/// Keys a cryptographically secure stream from getrandom(). Returns 0 on success, or the
/// errno of the failure (the state is then unusable).
int cohort_noise_init_secure(cohort_noise_state *state);

/// Keys an AES-128-CTR stream with a given key and first counter block, for known-answer
/// and consistency tests only (a known key is no secret). `wide` selects the VAES refill
/// (1) or the 128-bit AES-NI one (0). Returns 0, or -1 when the processor lacks the
/// instructions asked for.
int cohort_noise_init_keyed(cohort_noise_state *state, const uint8_t key[16], const uint64_t counter[2], int wide);

/// Adds independent N(0, standardDeviation²) draws to x[0..<count] (Ziggurat method,
/// Marsaglia and Tsang 2000, 256 layers, with layer and value taken from disjoint bits as
/// Doornik 2005 recommends).
void cohort_noise_add_gaussian(cohort_noise_state *state, float *x, size_t count, double standardDeviation);

/// x[i] ← (x[i] + σ·z[i])·scale for i in 0..<count, with x + σ·z fused (one rounding, as
/// cohort_noise_add_gaussian adds its draws), so that normals drawn ahead into z and added
/// here give the same floats as drawing them into x directly and then scaling.
void cohort_noise_add_scaled(float *x, const float *z, size_t count, float sigma, float scale);

/// Writes `count` standard normal draws (double precision) to out.
void cohort_noise_fill_gaussian(cohort_noise_state *state, double *out, size_t count);

/// Fills out with uniform random 64-bit words from the stream.
void cohort_noise_fill_bits(cohort_noise_state *state, uint64_t *out, size_t count);

#endif
