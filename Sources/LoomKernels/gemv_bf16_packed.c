/* Products of activation rows against weights in the packed bf16 layout (oneDNN BA16a64b2a), streamed block by
 * block. Each row is summed as a lone row is, whatever batch it is in: with AVX-512 its even and odd reduction
 * pairs apart (4 × 16 columns each, added at the end), in portable C in one sum per column. */
#include "LoomKernels.h"
#include "simd.h"

#if LOOM_X86
/* Rows whose sums for one column block are kept at a time (in memory, 8 KiB). */
enum { ROW_BATCH = 16 };
/* Reduction pairs per tile: 16 KiB of a column block, which stays in L1 while every row of a batch passes over it. */
enum { TILE_PAIRS = 64 };
/* Rows sharing each weight load (their 8 sums each stay in registers through a tile). */
enum { ROWS_TOGETHER = 2 };

/* Row `r`'s bf16 pairs, one 32-bit word each. */
static const uint32_t *pairs_of_row(const uint16_t *x, int64_t x_stride, int64_t r) {
    return (const uint32_t *)(x + r * x_stride);
}

/* One row's sums for one column block: [0..3] the even pairs' columns 0-15 … 48-63, [4..7] the odd pairs'. */
typedef struct { __m512 v[8]; } block_sums;

/* Continues the sums of `rows` (≤ ROWS_TOGETHER, a constant where inlined) rows over pairs `[p0, p1)` of the column
 * block at `block` (`p0` even, so pair `p` goes to the even or odd sums by its own parity). */
LOOM_AVX512 static inline __attribute__((always_inline)) void tile_avx512(const uint16_t *block, int64_t p0,
                                                                          int64_t p1, const uint32_t **x,
                                                                          block_sums *sums, const int rows) {
    __m512 s[ROWS_TOGETHER][8];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 8; j++) s[r][j] = sums[r].v[j];
    const uint16_t *w = block + p0 * 128;
    int64_t p = p0;
    for (; p + 2 <= p1; p += 2, w += 256) {
        for (int j = 0; j < 4; j++) {
            const __m512bh even = (__m512bh)_mm512_loadu_si512(w + 32 * j);
            const __m512bh odd = (__m512bh)_mm512_loadu_si512(w + 128 + 32 * j);
            for (int r = 0; r < rows; r++) {
                s[r][j] = _mm512_dpbf16_ps(s[r][j], even, (__m512bh)_mm512_set1_epi32((int)x[r][p]));
                s[r][4 + j] = _mm512_dpbf16_ps(s[r][4 + j], odd, (__m512bh)_mm512_set1_epi32((int)x[r][p + 1]));
            }
        }
    }
    if (p < p1) {
        for (int j = 0; j < 4; j++) {
            const __m512bh even = (__m512bh)_mm512_loadu_si512(w + 32 * j);
            for (int r = 0; r < rows; r++)
                s[r][j] = _mm512_dpbf16_ps(s[r][j], even, (__m512bh)_mm512_set1_epi32((int)x[r][p]));
        }
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 8; j++) sums[r].v[j] = s[r][j];
}

/* Writes one row's outputs of column block `b` (even plus odd sums), skipping columns past `n`. */
LOOM_AVX512 static void store_block_avx512(const block_sums *sums, int64_t n, int64_t b, float *y) {
    int64_t column = b * LOOM_PACKED_BLOCK_N;
    for (int part = 0; part < 4; part++, column += 16) {
        const __m512 total = _mm512_add_ps(sums->v[part], sums->v[4 + part]);
        const int64_t left = n - column;
        if (left >= 16) _mm512_storeu_ps(y + column, total);
        else if (left > 0) _mm512_mask_storeu_ps(y + column, (__mmask16)((1u << left) - 1), total);
    }
}

/* Column block `block` for rows `[0, rows)` of `x` (at most ROW_BATCH): tile by tile, each tile passed over by
 * the rows ROWS_TOGETHER at a time. */
LOOM_AVX512 static void block_rows_avx512(const uint16_t *block, int64_t pairs, const uint16_t *x, int64_t x_stride,
                                          int64_t rows, block_sums *sums) {
    for (int64_t r = 0; r < rows; r++)
        for (int j = 0; j < 8; j++) sums[r].v[j] = _mm512_setzero_ps();
    for (int64_t p0 = 0; p0 < pairs; p0 += TILE_PAIRS) {
        const int64_t p1 = p0 + TILE_PAIRS < pairs ? p0 + TILE_PAIRS : pairs;
        int64_t r = 0;
        for (; r + ROWS_TOGETHER <= rows; r += ROWS_TOGETHER) {
            const uint32_t *xs[ROWS_TOGETHER] = {pairs_of_row(x, x_stride, r), pairs_of_row(x, x_stride, r + 1)};
            tile_avx512(block, p0, p1, xs, sums + r, ROWS_TOGETHER);
        }
        if (r < rows) {
            const uint32_t *xs[1] = {pairs_of_row(x, x_stride, r)};
            tile_avx512(block, p0, p1, xs, sums + r, 1);
        }
    }
}

LOOM_AVX512 static void rows_avx512(const uint16_t *packed, int64_t k_padded, int64_t n, int64_t block_begin,
                                    int64_t block_end, const uint16_t *x, int64_t x_stride, int64_t m, float *y,
                                    int64_t y_stride) {
    const int64_t pairs = k_padded / 2;
    block_sums sums[ROW_BATCH];
    for (int64_t b = block_begin; b < block_end; b++) {
        const uint16_t *block = packed + b * pairs * 128;
        for (int64_t r0 = 0; r0 < m; r0 += ROW_BATCH) {
            const int64_t rows = m - r0 < ROW_BATCH ? m - r0 : ROW_BATCH;
            block_rows_avx512(block, pairs, x + r0 * x_stride, x_stride, rows, sums);
            for (int64_t r = 0; r < rows; r++) store_block_avx512(&sums[r], n, b, y + (r0 + r) * y_stride);
        }
    }
}
#endif

/* Each row's 64 columns of a block in one f32 sum per column, pair after pair (each row as a lone row). */
static void rows_portable(const uint16_t *packed, int64_t k_padded, int64_t n, int64_t block_begin,
                          int64_t block_end, const uint16_t *x, int64_t x_stride, int64_t m, float *y,
                          int64_t y_stride) {
    const int64_t pairs = k_padded / 2;
    for (int64_t b = block_begin; b < block_end; b++) {
        for (int64_t r = 0; r < m; r++) {
            const uint16_t *xr = x + r * x_stride;
            float acc[LOOM_PACKED_BLOCK_N] = {0};
            const uint16_t *w = packed + b * pairs * 128;
            for (int64_t p = 0; p < pairs; p++, w += 128) {
                const float x0 = loom_bf16_to_f32_scalar(xr[2 * p]), x1 = loom_bf16_to_f32_scalar(xr[2 * p + 1]);
                for (int j = 0; j < LOOM_PACKED_BLOCK_N; j++)
                    acc[j] += loom_bf16_to_f32_scalar(w[2 * j]) * x0 + loom_bf16_to_f32_scalar(w[2 * j + 1]) * x1;
            }
            for (int j = 0; j < LOOM_PACKED_BLOCK_N; j++) {
                const int64_t column = b * LOOM_PACKED_BLOCK_N + j;
                if (column < n) y[r * y_stride + column] = acc[j];
            }
        }
    }
}

void loom_gemm_bf16_packed_rows(const uint16_t *packed, int64_t k_padded, int64_t n, int64_t block_begin,
                                int64_t block_end, const uint16_t *x, int64_t x_stride, int64_t m, float *y,
                                int64_t y_stride) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        rows_avx512(packed, k_padded, n, block_begin, block_end, x, x_stride, m, y, y_stride);
        return;
    }
#endif
    rows_portable(packed, k_padded, n, block_begin, block_end, x, x_stride, m, y, y_stride);
}

void loom_gemv_bf16_packed(const uint16_t *packed, int64_t k_padded, int64_t n, int64_t block_begin,
                           int64_t block_end, const uint16_t *x, float *y) {
    loom_gemm_bf16_packed_rows(packed, k_padded, n, block_begin, block_end, x, k_padded, 1, y, 0);
}
