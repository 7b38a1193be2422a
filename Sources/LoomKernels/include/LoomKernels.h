#ifndef LOOM_KERNELS_H
#define LOOM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CPU features ---------------------------------------------------------------------------------------- */

/** Non-zero when the CPU runs AVX-512 F/BW/VL with BF16 and VNNI (the fast kernels); zero selects portable C. */
int loom_cpu_has_avx512_bf16(void);
/**
 * With a non-zero argument every kernel called on this thread takes its portable C path (to test those paths on
 * AVX-512 machines); Loom's parallel loops then run on the calling thread, so other threads are unaffected.
 */
void loom_force_portable_kernels(int portable);
/** Non-zero while loom_force_portable_kernels is in effect on this thread. */
int loom_portable_kernels_forced(void);

/* ---- Thread pool ----------------------------------------------------------------------------------------- */

/** Called for chunk `[lo, hi)` of a parallel loop. */
typedef void (*loom_chunk_function)(void *context, int64_t lo, int64_t hi);
/** Non-zero when the OpenMP runtime oneDNN uses (libgomp) could be opened to run Loom's parallel loops. */
int loom_parallel_available(void);
/** Runs `body` over `chunks` contiguous, disjoint chunks of `[0, count)` on `threads` OpenMP threads, each thread
 * claiming the next unclaimed chunk when it is done with one. */
void loom_parallel_run(int64_t count, int chunks, int threads, void *context, loom_chunk_function body);

/* ---- Conversions ----------------------------------------------------------------------------------------- */

/** Rounds `count` floats to bfloat16 (round to nearest even, NaN kept quiet). */
void loom_f32_to_bf16(const float *src, uint16_t *dst, size_t count);

/* ---- oneDNN bf16 matrix products with prepacked weights --------------------------------------------------- */

/** Column-block width and reduction-block depth of the packed weight layout (oneDNN `BA16a64b2a`). */
enum { LOOM_PACKED_BLOCK_N = 64, LOOM_PACKED_BLOCK_K = 32 };

/** A `[n, k]` weight reordered once into oneDNN's blocked bf16 layout, plus its cached matmul primitives. */
typedef struct loom_packed_matrix loom_packed_matrix;

/**
 * Allocates a packed `[n, k]` weight (filled by ``loom_packed_fill``). Returns NULL when oneDNN does not choose
 * `BA16a64b2a` for bf16 products on this CPU (callers keep the plain weight then).
 */
loom_packed_matrix *loom_packed_create(int64_t n, int64_t k);
/** Bytes of a packed `[n, k]` weight: `n` rounded up to 64 rows, `k` to ``LOOM_PACKED_BLOCK_K``, two each. */
size_t loom_packed_expected_bytes(int64_t n, int64_t k);
/**
 * A packed `[n, k]` weight over `bytes` of already packed elements that stay the caller's (e.g. a mapped
 * checkpoint; never written). Returns NULL when `bytes` is not ``loom_packed_expected_bytes`` or oneDNN does not
 * choose `BA16a64b2a` on this CPU.
 */
loom_packed_matrix *loom_packed_wrap(int64_t n, int64_t k, const uint16_t *data, size_t bytes);
/**
 * Packs column blocks `[block_begin, block_end)` (64 rows of the source each) of a row-major `[n, k]` weight
 * (PyTorch `Linear` layout; f32 when `source_is_f32`, else bf16); disjoint block ranges may be filled in parallel.
 */
void loom_packed_fill(loom_packed_matrix *matrix, const void *weights, int source_is_f32, int64_t block_begin,
                      int64_t block_end);
/**
 * Fills column blocks `[block_begin, block_end)` of a packed `[n, k]` weight from a group-quantised one (`bits` 8
 * or 4, values with row length `q_padded`, f16 scales per group of 32), dequantised and rounded to bf16.
 */
void loom_packed_fill_quantized(loom_packed_matrix *matrix, int bits, const void *q, const uint16_t *scales,
                                int64_t q_padded, int64_t block_begin, int64_t block_end);
/** Frees the packed weight and its primitives. */
void loom_packed_destroy(loom_packed_matrix *matrix);
/** The packed elements: for column block `b` and reduction pair `p`, 64 columns × 2 bf16 at `(b·kp/2 + p)·128`. */
const uint16_t *loom_packed_data(const loom_packed_matrix *matrix);
/** `k` rounded up to a multiple of ``LOOM_PACKED_BLOCK_K``. */
int64_t loom_packed_k_padded(const loom_packed_matrix *matrix);
/** Bytes held by the packed weight. */
size_t loom_packed_byte_count(const loom_packed_matrix *matrix);
/** Non-zero once oneDNN is loaded and has packed a weight (its OpenMP threads exist). */
int loom_onednn_ready(void);
/** Threads oneDNN's OpenMP regions use (Loom's pool size); set before the first product. */
void loom_onednn_set_threads(int threads);
/**
 * `y[m, n] = x[m, k] · Wᵀ (+ bias)` with bf16 `x` (row stride `k`), f32 accumulation and f32 `y`;
 * `bias` may be NULL. Returns 0 on success.
 */
int loom_packed_matmul(loom_packed_matrix *matrix, const uint16_t *x, int64_t m, const float *bias, float *y);

/* ---- Products of single rows and of a few rows (decode) --------------------------------------------------- */

/**
 * `y[j] = Σ_i x[i] · W[j, i]` for the columns of blocks `[block_begin, block_end)` of a packed weight
 * (64 outputs per block; outputs past `n` are skipped). `x` is bf16, `k_padded` long, zero-padded.
 * The same as ``loom_gemm_bf16_packed_rows`` with one row.
 */
void loom_gemv_bf16_packed(const uint16_t *packed, int64_t k_padded, int64_t n, int64_t block_begin,
                           int64_t block_end, const uint16_t *x, float *y);
/**
 * ``loom_gemv_bf16_packed`` for `m` rows at once: row `r` of bf16 activations at `x + r · x_stride` (each
 * `k_padded` long, zero-padded), its outputs at `y + r · y_stride`. Each weight tile is read once for all rows.
 * Every output row is bit for bit what ``loom_gemv_bf16_packed`` gives for that row alone, whatever `m` and the
 * row's place (the same sums in the same order, on the AVX-512 and on the portable path).
 */
void loom_gemm_bf16_packed_rows(const uint16_t *packed, int64_t k_padded, int64_t n, int64_t block_begin,
                                int64_t block_end, const uint16_t *x, int64_t x_stride, int64_t m, float *y,
                                int64_t y_stride);

/** Elements per quantisation group (one f16 scale each). */
enum { LOOM_QUANT_GROUP = 32 };

/**
 * Bytes of scratch ``loom_prepare_activation`` fills for a `k_padded`-long row and `bits` (8 or 4) weights: a
 * multiple of 64, so that activations prepared one after another from a 64-byte aligned start stay aligned.
 */
size_t loom_activation_bytes(int bits, int64_t k_padded);
/**
 * Quantises the activation row `x` (`k` floats, taken as zeros up to `k_padded`) to int8 in groups of 32 (f32
 * scale max|x|/127 per group) and lays it out for the `bits`-bit kernel in `scratch` (64-byte aligned).
 */
void loom_prepare_activation(int bits, const float *x, int64_t k, int64_t k_padded, void *scratch);

/**
 * Rows `[row_begin, row_end)` of an int8 group-quantised weight: `q` is `[rows, k_padded]` int8, `scales`
 * `[rows, k_padded / 32]` f16; `y[r] = Σ_g scale[r, g] · sx[g] · Σ_{i∈g} q[r, i] · xq[i]` with the activation
 * prepared by ``loom_prepare_activation`` (integer dot products per group, vpdpbusd).
 */
void loom_gemv_q8(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin, int64_t row_end,
                  const void *prepared, float *y);

/**
 * Rows `[row_begin, row_end)` of an int4 group-quantised weight: `q` is `[rows, k_padded / 2]` bytes, each group
 * of 32 values in 16 bytes (value `j` in the low nibble of byte `j`, value `j + 16` in its high nibble), stored as
 * `value + 8`; `scales` as for int8; the activation prepared for 4-bit weights.
 */
void loom_gemv_q4(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin, int64_t row_end,
                  const void *prepared, float *y);

/**
 * ``loom_gemv_q8`` for `m` activations at once: activation `a` prepared (for 8 bits) at
 * `prepared + a · loom_activation_bytes(8, k_padded)` bytes (64-byte aligned), its outputs at `y + a · y_stride`.
 * Each weight row is read once for all activations. Every output row is bit for bit what ``loom_gemv_q8`` gives
 * for that activation alone, whatever `m` and its place (on the AVX-512 and on the portable path).
 */
void loom_gemm_q8_rows(const int8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                       int64_t row_end, const void *prepared, int64_t m, float *y, int64_t y_stride);
/** ``loom_gemv_q4`` for `m` activations at once, laid out and bit-identical per row as ``loom_gemm_q8_rows``. */
void loom_gemm_q4_rows(const uint8_t *q, const uint16_t *scales, int64_t k_padded, int64_t row_begin,
                       int64_t row_end, const void *prepared, int64_t m, float *y, int64_t y_stride);

/** Quantises `rows` rows of `k` floats (row stride `k`) to int8 groups (`q`: `[rows, k_padded]`). */
void loom_quantize_q8(const float *w, int64_t rows, int64_t k, int64_t k_padded, int8_t *q, uint16_t *scales);
/** Quantises `rows` rows of `k` floats to int4 groups (`q`: `[rows, k_padded / 2]`). */
void loom_quantize_q4(const float *w, int64_t rows, int64_t k, int64_t k_padded, uint8_t *q, uint16_t *scales);
/** Dequantises rows `[row_begin, row_end)` to f32 (`out`: `(row_end - row_begin) × k`, row stride `k`). */
void loom_dequantize_q8(const int8_t *q, const uint16_t *scales, int64_t k, int64_t k_padded, int64_t row_begin,
                        int64_t row_end, float *out);
/** Dequantises int4 rows `[row_begin, row_end)` to f32. */
void loom_dequantize_q4(const uint8_t *q, const uint16_t *scales, int64_t k, int64_t k_padded, int64_t row_begin,
                        int64_t row_end, float *out);

/* ---- Attention (bf16 keys and values, online softmax, no queries × keys matrix) --------------------------- */

/** Bytes of packed keys / values for `keys` keys of one head (`head_dim` ≤ 128; keys padded to 16). */
size_t loom_attention_keys_bytes(int64_t keys, int head_dim);
size_t loom_attention_values_bytes(int64_t keys, int head_dim);
/**
 * Packs `count` f32 key (or value) rows of one head (`row_stride` floats apart, starting at the head's first column)
 * into the packed layout at key positions `[first, first + count)`, rounded to bf16.
 */
void loom_attention_pack_keys(const float *src, int64_t row_stride, int64_t first, int64_t count, int head_dim,
                              uint16_t *dst);
void loom_attention_pack_values(const float *src, int64_t row_stride, int64_t first, int64_t count, int head_dim,
                                uint16_t *dst);
/** Zeroes every packed slot of 16-key block `block` (keys and values). */
void loom_attention_clear_block(uint16_t *keys, uint16_t *values, int64_t block, int head_dim);
/** Zeroes the packed slots after `key_count` up to the next multiple of 16 keys. */
void loom_attention_clear_tail(uint16_t *keys, uint16_t *values, int64_t key_count, int head_dim);
/**
 * `softmax(q·kᵀ·scale) · v` (`scale` > 0) for `rows` query rows of one head against `key_count` packed keys and values.
 * With `causal_offset` ≥ 0, query row `i` sits at position `causal_offset + i` and sees keys up to it; key tiles
 * past every row of a group are never read. Queries are rounded to bf16, scores and softmax are f32,
 * probabilities are rounded to bf16 for the value product, accumulation is f32. Uses only stack scratch
 * (about 40 KiB per call): no `rows × key_count` buffer exists.
 */
void loom_attention_bf16(const float *q, int64_t q_stride, int64_t rows, const uint16_t *keys, const uint16_t *values,
                         int64_t key_count, int head_dim, float scale, int64_t causal_offset, float *out,
                         int64_t out_stride);

/**
 * RMSNorm of `rows` rows of `d` floats: `out = w · x / sqrt(mean(x²) + eps)`. Sums run in 16 lanes reduced in a fixed
 * order (the AVX-512 and portable paths agree exactly); `out` may be `x`.
 */
void loom_rms_norm(const float *x, float *out, int64_t rows, int64_t d, const float *w, float eps);
/** LayerNorm (biased variance, as PyTorch) of `rows` rows: `out = (x − mean) / sqrt(var + eps) · w + b`, sums as above. */
void loom_layer_norm(const float *x, float *out, int64_t rows, int64_t d, const float *w, const float *b, float eps);
/** GELU with the tanh approximation in place, vectorised (within a few f32 ulps of libm's tanhf). */
void loom_gelu_tanh(float *x, size_t count);

/** `out = silu(gate) · up`, vectorised (the bf16 path's SwiGLU). */
void loom_swiglu(const float *gate, const float *up, float *out, size_t count);

/** The same activations written rounded to bf16 (as loom_f32_to_bf16 rounds), the input of the next product. */
void loom_gelu_tanh_bf16(const float *x, uint16_t *out, size_t count);
void loom_swiglu_bf16(const float *gate, const float *up, uint16_t *out, size_t count);

/** f16 bit pattern to float, and float to f16 (round to nearest even). */
float loom_f16_to_f32(uint16_t h);
uint16_t loom_f32_to_f16(float f);

/* Keeps freed blocks of up to 32 MiB in the C heap and never trims it (glibc; no effect elsewhere). */
void loom_keep_freed_blocks(void);

/* A 64-byte aligned block of `bytes` for long-lived large data (weights, KV caches): blocks of 2 MiB or more are
 * 2 MiB-aligned mappings marked for transparent huge pages on Linux. NULL when memory is exhausted. Free with
 * loom_large_free and the same size. */
void *loom_large_allocate(size_t bytes);
void loom_large_free(void *block, size_t bytes);

#ifdef __cplusplus
}
#endif

#endif
