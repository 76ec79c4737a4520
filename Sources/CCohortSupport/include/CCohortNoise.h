#ifndef CCOHORT_NOISE_H
#define CCOHORT_NOISE_H

#include <stddef.h>
#include <stdint.h>

/// The state of a Gaussian noise generator: where its random bits come from
/// (AES-128 in counter mode keyed from the operating system, or seeded xoshiro256**),
/// and a buffer of bits not yet used.
typedef struct {
    int secure;                    // 1: AES-128-CTR with a key from getrandom(); 0: xoshiro256**
    int hardwareAES;               // 1 when AES-NI is used for the secure stream
    uint64_t xoshiro[4];
    uint8_t roundKeys[176] __attribute__((aligned(16)));
    uint64_t counter[2];
    uint64_t buffer[64];
    int next;                      // index of the next unused word in buffer
    int forceScalar;               // 1: never use the AVX-512 path (tests compare both)
} cohort_noise_state;

/// Seeds a reproducible (not secure) stream: xoshiro256** from SplitMix64(seed).
void cohort_noise_init_seeded(cohort_noise_state *state, uint64_t seed);

/// Keys a cryptographically secure stream from getrandom(). Returns 0 on success, or the
/// errno of the failure (the state is then unusable).
int cohort_noise_init_secure(cohort_noise_state *state);

/// Adds independent N(0, standardDeviation²) draws to x[0..<count] (Ziggurat method,
/// Marsaglia and Tsang 2000, 256 layers, with layer and value taken from disjoint bits as
/// Doornik 2005 recommends).
void cohort_noise_add_gaussian(cohort_noise_state *state, float *x, size_t count, double standardDeviation);

/// Writes `count` standard normal draws (double precision) to out.
void cohort_noise_fill_gaussian(cohort_noise_state *state, double *out, size_t count);

/// Fills out with uniform random 64-bit words from the stream.
void cohort_noise_fill_bits(cohort_noise_state *state, uint64_t *out, size_t count);

#endif
