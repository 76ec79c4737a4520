#ifndef CCOHORT_ROWS_H
#define CCOHORT_ROWS_H

#include <stddef.h>

/// out[i] = Σⱼ m[i·columns + j]² for each of `rows` rows of a row-major matrix (16 lanes
/// of partial sums, then their sum: the same floats with or without AVX-512).
void cohort_row_squared_norms(const float *m, size_t rows, size_t columns, float *out);

/// m[i·columns + j] *= factors[i] for each of `rows` rows; rows whose factor is 1 are left
/// as they are.
void cohort_scale_rows(float *m, size_t rows, size_t columns, const float *factors);

#endif
