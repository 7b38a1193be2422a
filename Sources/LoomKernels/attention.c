/* Attention without a queries × keys matrix: bf16 keys and values in packed blocks; chunks of up to 32 query rows
 * walk key tiles of 64 (each tile read once per chunk) with an online (running max and sum) softmax in f32; the
 * products run as register-blocked vdpbf16ps kernels over four rows at a time; causal tiles past the diagonal are
 * skipped.
 *
 * Keys of one head: blocks of 16 keys; block `b`, dimension pair `p` holds 32 bf16 at `(b·pairs + p)·32`:
 * lane `j` = key `16b + j`, elements `[2j, 2j+1]` = dimensions `2p, 2p+1` (one vdpbf16ps gives 16 scores).
 * Values of one head: key pairs; pair `jp`, dimension `d` (padded to 16) holds 2 bf16 at `(jp·dpad + d)·2`
 * = keys `2jp, 2jp+1` (one vdpbf16ps adds 16 dimensions of two keys). */
#include "LoomKernels.h"
#include "simd.h"

#include <math.h>
#include <string.h>

enum { KEY_BLOCK = 16, KEY_TILE = 64 };

static int64_t padded_dims(int head_dim) { return (head_dim + 15) / 16 * 16; }
static int64_t padded_keys(int64_t keys) { return (keys + KEY_BLOCK - 1) / KEY_BLOCK * KEY_BLOCK; }

size_t loom_attention_keys_bytes(int64_t keys, int head_dim) {
    return (size_t)padded_keys(keys) * (size_t)((head_dim + 1) / 2) * 4;
}

size_t loom_attention_values_bytes(int64_t keys, int head_dim) {
    return (size_t)padded_keys(keys) * (size_t)padded_dims(head_dim) * 2;
}

/* One key row into its lane of the packed blocks. */
static void pack_key_row(const float *row, int64_t key, int head_dim, uint16_t *dst) {
    const int64_t pairs = (head_dim + 1) / 2, block = key / KEY_BLOCK, lane = key % KEY_BLOCK;
    for (int64_t p = 0; p < pairs; p++) {
        uint16_t *slot = dst + (block * pairs + p) * 32 + 2 * lane;
        slot[0] = loom_f32_to_bf16_scalar(row[2 * p]);
        slot[1] = 2 * p + 1 < head_dim ? loom_f32_to_bf16_scalar(row[2 * p + 1]) : 0;
    }
}

/* One value row into its half of the packed key pairs. */
static void pack_value_row(const float *row, int64_t key, int head_dim, uint16_t *dst) {
    const int64_t dpad = padded_dims(head_dim);
    uint16_t *slot = dst + (key / 2) * dpad * 2 + (key % 2);
    for (int64_t d = 0; d < dpad; d++) slot[2 * d] = d < head_dim ? loom_f32_to_bf16_scalar(row[d]) : 0;
}

#if LOOM_X86
/* 16 floats (fewer at a row's end: the rest read as zeros) rounded to bf16 as the scalar conversion rounds. */
LOOM_AVX512 static inline __m256i bf16_lanes(const float *row, int64_t live) {
    const __mmask16 mask = live >= 16 ? 0xFFFF : (__mmask16)((1u << live) - 1);
    return (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, row));
}

/* A whole block of 16 keys: rows rounded to bf16 pairs, then each pair of dimensions gathered across the rows. */
LOOM_AVX512 static void pack_key_block(const float *src, int64_t row_stride, int64_t block, int head_dim,
                                       uint16_t *dst) {
    const int64_t pairs = (head_dim + 1) / 2;
    uint32_t rows[KEY_BLOCK * 64] __attribute__((aligned(64)));
    for (int64_t i = 0; i < KEY_BLOCK; i++)
        for (int64_t d = 0; d < head_dim; d += 16)
            _mm256_storeu_si256((__m256i *)(rows + i * 64 + d / 2), bf16_lanes(src + i * row_stride + d, head_dim - d));
    const __m512i lanes = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                             _mm512_set1_epi32(64));
    for (int64_t p = 0; p < pairs; p++)
        _mm512_storeu_si512(dst + (block * pairs + p) * 32,
                            _mm512_i32gather_epi32(_mm512_add_epi32(lanes, _mm512_set1_epi32((int)p)), rows, 4));
}

/* One key row into its lane of the packed blocks (what pack_key_row writes): eight dimension pairs per scatter. */
LOOM_AVX512 static void pack_key_row_avx512(const float *row, int64_t key, int head_dim, uint16_t *dst) {
    const int64_t pairs = (head_dim + 1) / 2, block = key / KEY_BLOCK, lane = key % KEY_BLOCK;
    uint32_t *slots = (uint32_t *)dst + block * pairs * 16 + lane;
    const __m256i stride = _mm256_mullo_epi32(_mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0), _mm256_set1_epi32(16));
    for (int64_t d = 0; d < head_dim; d += 16) {
        const int64_t left = pairs - d / 2;
        const __mmask8 mask = left >= 8 ? 0xFF : (__mmask8)((1u << left) - 1);
        _mm256_mask_i32scatter_epi32(slots + (d / 2) * 16, mask, stride, bf16_lanes(row + d, head_dim - d), 4);
    }
}

/* One value row into its half of the packed key pairs (what pack_value_row writes). */
LOOM_AVX512 static void pack_value_row_avx512(const float *row, int64_t key, int head_dim, uint16_t *dst) {
    const int64_t dpad = padded_dims(head_dim), odd = key % 2;
    const __mmask32 half = odd ? 0xAAAAAAAAu : 0x55555555u;
    for (int64_t d = 0; d < dpad; d += 16) {
        const int64_t live = head_dim - d > 0 ? head_dim - d : 0;
        __m512i v = _mm512_cvtepu16_epi32(bf16_lanes(row + d, live));
        if (odd) v = _mm512_slli_epi32(v, 16);
        _mm512_mask_storeu_epi16(dst + ((key / 2) * dpad + d) * 2, half, v);
    }
}

/* Two value rows of one key pair, interleaved dimension by dimension. */
LOOM_AVX512 static void pack_value_pair(const float *even, const float *odd, int64_t pair, int head_dim,
                                        uint16_t *dst) {
    const int64_t dpad = padded_dims(head_dim);
    for (int64_t d = 0; d < dpad; d += 16) {
        const int64_t live = head_dim - d > 0 ? head_dim - d : 0;
        const __m512i lo = _mm512_cvtepu16_epi32(bf16_lanes(even + d, live));
        const __m512i hi = _mm512_cvtepu16_epi32(bf16_lanes(odd + d, live));
        _mm512_storeu_si512(dst + (pair * dpad + d) * 2, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
    }
}
#endif

void loom_attention_pack_keys(const float *src, int64_t row_stride, int64_t first, int64_t count, int head_dim,
                              uint16_t *dst) {
#if LOOM_X86
    const int blocks = head_dim <= 128 && loom_cpu_has_avx512_bf16();
#endif
    for (int64_t r = 0; r < count;) {
        const int64_t key = first + r;
#if LOOM_X86
        if (blocks) {
            if (key % KEY_BLOCK == 0 && count - r >= KEY_BLOCK) {
                pack_key_block(src + r * row_stride, row_stride, key / KEY_BLOCK, head_dim, dst);
                r += KEY_BLOCK;
            } else {
                pack_key_row_avx512(src + r * row_stride, key, head_dim, dst);
                r += 1;
            }
            continue;
        }
#endif
        pack_key_row(src + r * row_stride, key, head_dim, dst);
        r += 1;
    }
}

void loom_attention_pack_values(const float *src, int64_t row_stride, int64_t first, int64_t count, int head_dim,
                                uint16_t *dst) {
#if LOOM_X86
    const int pairs = loom_cpu_has_avx512_bf16();
#endif
    for (int64_t r = 0; r < count;) {
        const int64_t key = first + r;
#if LOOM_X86
        if (pairs) {
            if (key % 2 == 0 && count - r >= 2) {
                pack_value_pair(src + r * row_stride, src + (r + 1) * row_stride, key / 2, head_dim, dst);
                r += 2;
            } else {
                pack_value_row_avx512(src + r * row_stride, key, head_dim, dst);
                r += 1;
            }
            continue;
        }
#endif
        pack_value_row(src + r * row_stride, key, head_dim, dst);
        r += 1;
    }
}

void loom_attention_clear_block(uint16_t *keys, uint16_t *values, int64_t block, int head_dim) {
    const int64_t pairs = (head_dim + 1) / 2, dpad = padded_dims(head_dim);
    memset(keys + block * pairs * 32, 0, (size_t)pairs * 32 * sizeof(uint16_t));
    memset(values + block * (KEY_BLOCK / 2) * dpad * 2, 0, (size_t)(KEY_BLOCK / 2) * dpad * 2 * sizeof(uint16_t));
}

void loom_attention_clear_tail(uint16_t *keys, uint16_t *values, int64_t key_count, int head_dim) {
    /* Zero the rest of the last key block so that padded keys and values are exact zeros. */
    const int64_t pairs = (head_dim + 1) / 2, dpad = padded_dims(head_dim), end = padded_keys(key_count);
    for (int64_t key = key_count; key < end; key++) {
        int64_t block = key / KEY_BLOCK, lane = key % KEY_BLOCK;
        for (int64_t p = 0; p < pairs; p++) keys[(block * pairs + p) * 32 + 2 * lane] = keys[(block * pairs + p) * 32 + 2 * lane + 1] = 0;
        for (int64_t d = 0; d < dpad; d++) values[(key / 2) * dpad * 2 + (key % 2) + 2 * d] = 0;
    }
}

#if LOOM_X86
enum { ROW_CHUNK = 32, MAX_PAIRS = 64, MAX_DPAD = 128 };

/* Dot products of `R` query rows (bf16 pairs) with `NB` key blocks of 16 from `kb`, unscaled (the softmax folds
 * the scale into its exponent), into `s` (row stride KEY_TILE). R and NB are compile-time constants in every caller, so the accumulators stay in
 * registers. */
LOOM_AVX512 static inline __attribute__((always_inline)) void qk_block(const uint32_t *qb, int64_t pairs,
                                                                      const uint16_t *kb, float *s,
                                                                      const int R, const int NB) {
    __m512 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int b = 0; b < NB; b++) acc[r][b] = _mm512_setzero_ps();
    for (int64_t p = 0; p < pairs; p++) {
        __m512bh k[4];
        for (int b = 0; b < NB; b++) k[b] = (__m512bh)_mm512_loadu_si512(kb + (b * pairs + p) * 32);
        for (int r = 0; r < R; r++) {
            __m512bh qv = (__m512bh)_mm512_set1_epi32((int)qb[r * MAX_PAIRS + p]);
            for (int b = 0; b < NB; b++) acc[r][b] = _mm512_dpbf16_ps(acc[r][b], k[b], qv);
        }
    }
    for (int r = 0; r < R; r++)
        for (int b = 0; b < NB; b++) _mm512_store_ps(s + r * KEY_TILE + b * 16, acc[r][b]);
}

/* acc[r][16·(c0 + c) …] += Σ_jp P[r][jp] · V[jp] for `R` rows, `C` chunks of 16 dimensions, `key_pairs` pairs. */
LOOM_AVX512 static inline __attribute__((always_inline)) void pv_block(const uint32_t *pb, const uint16_t *vb,
                                                                      int64_t dpad, int64_t key_pairs, int64_t c0,
                                                                      float *acc, const int R, const int C) {
    __m512 o[4][6];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) o[r][c] = _mm512_load_ps(acc + r * MAX_DPAD + (c0 + c) * 16);
    for (int64_t jp = 0; jp < key_pairs; jp++) {
        __m512bh v[6];
        for (int c = 0; c < C; c++) v[c] = (__m512bh)_mm512_loadu_si512(vb + (jp * dpad + (c0 + c) * 16) * 2);
        for (int r = 0; r < R; r++) {
            __m512bh pv = (__m512bh)_mm512_set1_epi32((int)pb[r * (KEY_TILE / 2) + jp]);
            for (int c = 0; c < C; c++) o[r][c] = _mm512_dpbf16_ps(o[r][c], v[c], pv);
        }
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) _mm512_store_ps(acc + r * MAX_DPAD + (c0 + c) * 16, o[r][c]);
}

/* One query row against `NB` key blocks, block after block (one sequential stream through the keys, as a decoded
 * token reads them); each block's sum runs over the pairs in the same order as qk_block's, so the scores are the same. */
LOOM_AVX512 static void qk_row(const uint32_t *qb, int64_t pairs, const uint16_t *kb, float *s, int NB) {
    for (int b = 0; b < NB; b++) {
        const uint16_t *k = kb + b * pairs * 32;
        __m512 acc = _mm512_setzero_ps();
        for (int64_t p = 0; p < pairs; p++)
            acc = _mm512_dpbf16_ps(acc, (__m512bh)_mm512_loadu_si512(k + p * 32), (__m512bh)_mm512_set1_epi32((int)qb[p]));
        _mm512_store_ps(s + b * 16, acc);
    }
}

#define QK_CASE(R, NB) LOOM_AVX512 static void qk_##R##_##NB(const uint32_t *qb, int64_t pairs, const uint16_t *kb, \
    float *s) { qk_block(qb, pairs, kb, s, R, NB); }
QK_CASE(4, 1) QK_CASE(4, 2) QK_CASE(4, 3) QK_CASE(4, 4)
typedef void (*qk_function)(const uint32_t *, int64_t, const uint16_t *, float *);
static const qk_function qk4_table[4] = {qk_4_1, qk_4_2, qk_4_3, qk_4_4};

#define PV_CASE(R, C) LOOM_AVX512 static void pv_##R##_##C(const uint32_t *pb, const uint16_t *vb, int64_t dpad, \
    int64_t key_pairs, int64_t c0, float *acc) { pv_block(pb, vb, dpad, key_pairs, c0, acc, R, C); }
PV_CASE(4, 1) PV_CASE(4, 2) PV_CASE(4, 3) PV_CASE(4, 4) PV_CASE(4, 5) PV_CASE(4, 6)
PV_CASE(1, 1) PV_CASE(1, 2) PV_CASE(1, 3) PV_CASE(1, 4) PV_CASE(1, 5) PV_CASE(1, 6)
typedef void (*pv_function)(const uint32_t *, const uint16_t *, int64_t, int64_t, int64_t, float *);
static const pv_function pv_table[2][6] = {{pv_1_1, pv_1_2, pv_1_3, pv_1_4, pv_1_5, pv_1_6},
                                           {pv_4_1, pv_4_2, pv_4_3, pv_4_4, pv_4_5, pv_4_6}};

/* 2^x for 16 lanes with x ≤ 0: x = n + r (n an integer, |r| ≤ 1/2), 2^r by a degree-5 polynomial (relative error
 * about 3e-6, far below the bf16 rounding the probabilities then get), `scalef` for 2^n (0 below about -150);
 * x may exceed 0 by a rounding error (2^x then exceeds 1 by as little). */
LOOM_AVX512 static inline __m512 exp2_nonpositive(__m512 x) {
    const __m512 n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 r = _mm512_sub_ps(x, n);
    __m512 p = _mm512_set1_ps(1.3333558e-3f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(9.6181291e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.5504109e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(2.4022651e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(6.9314718e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* Online softmax of one row's tile of dot products (`limit` visible keys of `tile`), `log2_scale` = scale·log2 e:
 * updates the running max (of the unscaled products) and the 16-lane running sum, rescales the row's accumulator
 * when the max grows, and writes bf16 probability pairs 2^((s − max)·log2_scale). */
LOOM_AVX512 static void softmax_row(const float *s, int64_t tile, int64_t limit, int64_t dpad, float log2_scale,
                                    float *max, float *sum, float *acc, uint32_t *pb) {
    const int64_t blocks = (tile + 15) / 16;
    __m512 m = _mm512_set1_ps(-INFINITY);
    __mmask16 masks[4];
    for (int64_t b = 0; b < blocks; b++) {
        int64_t live = limit - b * 16;
        masks[b] = live >= 16 ? 0xFFFF : live > 0 ? (__mmask16)((1u << live) - 1) : 0;
        m = _mm512_mask_max_ps(m, masks[b], m, _mm512_load_ps(s + b * 16));
    }
    const float tile_max = _mm512_reduce_max_ps(m), old = *max;
    if (tile_max > old) {
        const float correction = old == -INFINITY ? 0 : exp2f((old - tile_max) * log2_scale);
        const __m512 c = _mm512_set1_ps(correction);
        _mm512_store_ps(sum, _mm512_mul_ps(_mm512_load_ps(sum), c));
        for (int64_t d = 0; d < dpad; d += 16) _mm512_store_ps(acc + d, _mm512_mul_ps(_mm512_load_ps(acc + d), c));
        *max = tile_max;
    }
    const __m512 factor = _mm512_set1_ps(log2_scale), offset = _mm512_set1_ps(*max * log2_scale);
    __m512 total = _mm512_load_ps(sum);
    for (int64_t b = 0; b < blocks; b++) {
        const __m512 x = _mm512_fmsub_ps(_mm512_load_ps(s + b * 16), factor, offset);
        const __m512 e = _mm512_maskz_mov_ps(masks[b], exp2_nonpositive(x));
        total = _mm512_add_ps(total, e);
        _mm256_storeu_si256((__m256i *)(pb + b * 8), (__m256i)_mm512_cvtneps_pbh(e));
    }
    _mm512_store_ps(sum, total);
}

/* Up to ROW_CHUNK query rows: key tiles outermost (each tile's keys and values are read once for all rows and
 * stay in L1), rows in groups of four inside. */
LOOM_AVX512 static void attention_chunk_avx512(const float *q, int64_t q_stride, int64_t rows, const uint16_t *keys,
                                               const uint16_t *values, int64_t key_count, int head_dim, float scale,
                                               int64_t causal_offset, float *out, int64_t out_stride) {
    const int64_t pairs = (head_dim + 1) / 2, dpad = padded_dims(head_dim), chunks = dpad / 16;
    const float log2_scale = scale * 1.44269504f;
    uint32_t qb[ROW_CHUNK * MAX_PAIRS] __attribute__((aligned(64)));
    float s[ROW_CHUNK * KEY_TILE] __attribute__((aligned(64)));
    uint32_t pb[ROW_CHUNK * (KEY_TILE / 2)] __attribute__((aligned(64)));
    float acc[ROW_CHUNK * MAX_DPAD] __attribute__((aligned(64)));
    float sums[ROW_CHUNK * 16] __attribute__((aligned(64)));
    float maxima[ROW_CHUNK];
    for (int64_t i = 0; i < rows; i++) {
        const float *row = q + i * q_stride;
        for (int64_t d = 0; d < head_dim; d += 16)
            _mm256_store_si256((__m256i *)(qb + i * MAX_PAIRS + d / 2), bf16_lanes(row + d, head_dim - d));
        for (int64_t d = 0; d < dpad; d++) acc[i * MAX_DPAD + d] = 0;
        for (int l = 0; l < 16; l++) sums[i * 16 + l] = 0;
        maxima[i] = -INFINITY;
    }
    int64_t visible = causal_offset >= 0 ? causal_offset + rows : key_count;
    if (visible > key_count) visible = key_count;
    for (int64_t t0 = 0; t0 < visible; t0 += KEY_TILE) {
        const int64_t tile = visible - t0 < KEY_TILE ? visible - t0 : KEY_TILE;
        const int64_t blocks = (tile + KEY_BLOCK - 1) / KEY_BLOCK, key_pairs = (tile + 1) / 2;
        /* Rows before `first` see none of this tile (causal). */
        int64_t first = causal_offset >= 0 ? t0 - causal_offset : 0;
        if (first < 0) first = 0;
        const uint16_t *kb = keys + (t0 / KEY_BLOCK) * pairs * 32;
        const uint16_t *vb = values + (t0 / 2) * dpad * 2;
        for (int64_t r = first; r < rows;) {
            const int R = rows - r >= 4 ? 4 : 1;
            if (R == 4) qk4_table[blocks - 1](qb + r * MAX_PAIRS, pairs, kb, s + r * KEY_TILE);
            else qk_row(qb + r * MAX_PAIRS, pairs, kb, s + r * KEY_TILE, (int)blocks);
            r += R;
        }
        for (int64_t r = first; r < rows; r++) {
            int64_t limit = causal_offset >= 0 ? causal_offset + r + 1 - t0 : tile;
            if (limit > tile) limit = tile;
            softmax_row(s + r * KEY_TILE, tile, limit, dpad, log2_scale, maxima + r, sums + r * 16,
                        acc + r * MAX_DPAD, pb + r * (KEY_TILE / 2));
        }
        for (int64_t c0 = 0; c0 < chunks;) {
            const int64_t C = chunks - c0 <= 6 ? chunks - c0 : 4;
            for (int64_t r = first; r < rows;) {
                const int R = rows - r >= 4 ? 4 : 1;
                pv_table[R == 4][C - 1](pb + r * (KEY_TILE / 2), vb, dpad, key_pairs, c0, acc + r * MAX_DPAD);
                r += R;
            }
            c0 += C;
        }
    }
    for (int64_t i = 0; i < rows; i++) {
        float total = _mm512_reduce_add_ps(_mm512_load_ps(sums + i * 16));
        float inverse = total > 0 ? 1 / total : 0;
        float *row = out + i * out_stride;
        for (int64_t d = 0; d < head_dim; d++) row[d] = acc[i * MAX_DPAD + d] * inverse;
    }
}

LOOM_AVX512 static void attention_avx512(const float *q, int64_t q_stride, int64_t rows, const uint16_t *keys,
                                         const uint16_t *values, int64_t key_count, int head_dim, float scale,
                                         int64_t causal_offset, float *out, int64_t out_stride) {
    for (int64_t r0 = 0; r0 < rows; r0 += ROW_CHUNK) {
        const int64_t n = rows - r0 < ROW_CHUNK ? rows - r0 : ROW_CHUNK;
        attention_chunk_avx512(q + r0 * q_stride, q_stride, n, keys, values, key_count, head_dim, scale,
                               causal_offset >= 0 ? causal_offset + r0 : -1, out + r0 * out_stride, out_stride);
    }
}
#endif

static void attention_portable(const float *q, int64_t q_stride, int64_t rows, const uint16_t *keys,
                               const uint16_t *values, int64_t key_count, int head_dim, float scale,
                               int64_t causal_offset, float *out, int64_t out_stride) {
    const int64_t pairs = (head_dim + 1) / 2, dpad = padded_dims(head_dim);
    float acc[128], scores[KEY_TILE], qr[128];
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t d = 0; d < 2 * pairs; d++) qr[d] = d < head_dim ? loom_bf16_to_f32_scalar(loom_f32_to_bf16_scalar(q[r * q_stride + d])) : 0;
        for (int64_t d = 0; d < dpad; d++) acc[d] = 0;
        float largest = -INFINITY, sum = 0;
        int64_t visible = causal_offset >= 0 ? causal_offset + r + 1 : key_count;
        if (visible > key_count) visible = key_count;
        for (int64_t t0 = 0; t0 < visible; t0 += KEY_TILE) {
            const int64_t tile = visible - t0 < KEY_TILE ? visible - t0 : KEY_TILE;
            float tile_max = largest;
            for (int64_t j = 0; j < tile; j++) {
                int64_t key = t0 + j;
                const uint16_t *kb = keys + (key / KEY_BLOCK) * pairs * 32 + 2 * (key % KEY_BLOCK);
                float s = 0;
                for (int64_t p = 0; p < pairs; p++)
                    s += qr[2 * p] * loom_bf16_to_f32_scalar(kb[p * 32]) + qr[2 * p + 1] * loom_bf16_to_f32_scalar(kb[p * 32 + 1]);
                scores[j] = s * scale;
                if (scores[j] > tile_max) tile_max = scores[j];
            }
            float correction = expf(largest - tile_max);
            sum *= correction;
            for (int64_t d = 0; d < dpad; d++) acc[d] *= correction;
            largest = tile_max;
            for (int64_t j = 0; j < tile; j++) {
                float e = expf(scores[j] - largest);
                sum += e;
                float p = loom_bf16_to_f32_scalar(loom_f32_to_bf16_scalar(e));
                int64_t key = t0 + j;
                const uint16_t *v = values + (key / 2) * dpad * 2 + (key % 2);
                for (int64_t d = 0; d < head_dim; d++) acc[d] += p * loom_bf16_to_f32_scalar(v[2 * d]);
            }
        }
        for (int64_t d = 0; d < head_dim; d++) out[r * out_stride + d] = sum > 0 ? acc[d] / sum : 0;
    }
}

void loom_attention_bf16(const float *q, int64_t q_stride, int64_t rows, const uint16_t *keys, const uint16_t *values,
                         int64_t key_count, int head_dim, float scale, int64_t causal_offset, float *out,
                         int64_t out_stride) {
#if LOOM_X86
    if (loom_cpu_has_avx512_bf16()) {
        attention_avx512(q, q_stride, rows, keys, values, key_count, head_dim, scale, causal_offset, out, out_stride);
        return;
    }
#endif
    attention_portable(q, q_stride, rows, keys, values, key_count, head_dim, scale, causal_offset, out, out_stride);
}
