/* Attention without a queries × keys matrix: bf16 keys and values in packed blocks, query rows in groups of four,
 * key tiles of 64 with an online (running max and sum) softmax in f32, causal tiles past the diagonal skipped.
 *
 * Keys of one head: blocks of 16 keys; block `b`, dimension pair `p` holds 32 bf16 at `(b·pairs + p)·32`:
 * lane `j` = key `16b + j`, elements `[2j, 2j+1]` = dimensions `2p, 2p+1` (one vdpbf16ps gives 16 scores).
 * Values of one head: key pairs; pair `jp`, dimension `d` (padded to 16) holds 2 bf16 at `(jp·dpad + d)·2`
 * = keys `2jp, 2jp+1` (one vdpbf16ps adds 16 dimensions of two keys). */
#include "LoomKernels.h"
#include "simd.h"

#include <math.h>

enum { KEY_BLOCK = 16, KEY_TILE = 64, ROW_GROUP = 4 };

static int64_t padded_dims(int head_dim) { return (head_dim + 15) / 16 * 16; }
static int64_t padded_keys(int64_t keys) { return (keys + KEY_BLOCK - 1) / KEY_BLOCK * KEY_BLOCK; }

size_t loom_attention_keys_bytes(int64_t keys, int head_dim) {
    return (size_t)padded_keys(keys) * (size_t)((head_dim + 1) / 2) * 4;
}

size_t loom_attention_values_bytes(int64_t keys, int head_dim) {
    return (size_t)padded_keys(keys) * (size_t)padded_dims(head_dim) * 2;
}

static uint16_t source_element(const void *src, int src_is_f32, int64_t row_stride, int64_t row, int64_t column) {
    if (src_is_f32) return loom_f32_to_bf16_scalar(((const float *)src)[row * row_stride + column]);
    return ((const uint16_t *)src)[row * row_stride + column];
}

void loom_attention_pack_keys(const void *src, int src_is_f32, int64_t row_stride, int64_t first, int64_t count,
                              int head_dim, uint16_t *dst) {
    const int64_t pairs = (head_dim + 1) / 2;
    for (int64_t r = 0; r < count; r++) {
        int64_t key = first + r, block = key / KEY_BLOCK, lane = key % KEY_BLOCK;
        for (int64_t p = 0; p < pairs; p++) {
            uint16_t *slot = dst + (block * pairs + p) * 32 + 2 * lane;
            slot[0] = source_element(src, src_is_f32, row_stride, r, 2 * p);
            slot[1] = 2 * p + 1 < head_dim ? source_element(src, src_is_f32, row_stride, r, 2 * p + 1) : 0;
        }
    }
}

void loom_attention_pack_values(const void *src, int src_is_f32, int64_t row_stride, int64_t first, int64_t count,
                                int head_dim, uint16_t *dst) {
    const int64_t dpad = padded_dims(head_dim);
    for (int64_t r = 0; r < count; r++) {
        int64_t key = first + r;
        uint16_t *slot = dst + (key / 2) * dpad * 2 + (key % 2);
        for (int64_t d = 0; d < dpad; d++) slot[2 * d] = d < head_dim ? source_element(src, src_is_f32, row_stride, r, d) : 0;
    }
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

/* Running softmax state of a group of query rows. */
typedef struct {
    float max[ROW_GROUP], sum[ROW_GROUP];
} softmax_state;

#if LOOM_X86
LOOM_AVX512 static void attention_avx512(const float *q, int64_t q_stride, int64_t rows, const uint16_t *keys,
                                         const uint16_t *values, int64_t key_count, int head_dim, float scale,
                                         int64_t causal_offset, float *out, int64_t out_stride) {
    const int64_t pairs = (head_dim + 1) / 2, dpad = padded_dims(head_dim), chunks = dpad / 16;
    uint32_t qb[ROW_GROUP][64];
    float scores[ROW_GROUP][KEY_TILE] __attribute__((aligned(64)));
    uint32_t pb[ROW_GROUP][KEY_TILE / 2];
    float acc[ROW_GROUP][128] __attribute__((aligned(64)));
    for (int64_t r0 = 0; r0 < rows; r0 += ROW_GROUP) {
        const int group = rows - r0 < ROW_GROUP ? (int)(rows - r0) : ROW_GROUP;
        softmax_state state;
        for (int i = 0; i < ROW_GROUP; i++) {
            state.max[i] = -INFINITY;
            state.sum[i] = 0;
            const float *row = q + (r0 + (i < group ? i : 0)) * q_stride;
            for (int64_t p = 0; p < pairs; p++) {
                uint16_t lo = loom_f32_to_bf16_scalar(row[2 * p]);
                uint16_t hi = 2 * p + 1 < head_dim ? loom_f32_to_bf16_scalar(row[2 * p + 1]) : 0;
                qb[i][p] = (uint32_t)lo | ((uint32_t)hi << 16);
            }
            for (int64_t d = 0; d < dpad; d++) acc[i][d] = 0;
        }
        int64_t visible = causal_offset >= 0 ? causal_offset + r0 + group : key_count;
        if (visible > key_count) visible = key_count;
        for (int64_t t0 = 0; t0 < visible; t0 += KEY_TILE) {
            const int64_t tile = visible - t0 < KEY_TILE ? visible - t0 : KEY_TILE;
            const int64_t blocks = (tile + KEY_BLOCK - 1) / KEY_BLOCK;
            for (int64_t b = 0; b < blocks; b++) {
                const uint16_t *kb = keys + ((t0 / KEY_BLOCK + b) * pairs) * 32;
                __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
                for (int64_t p = 0; p < pairs; p++) {
                    __m512bh k = (__m512bh)_mm512_loadu_si512(kb + p * 32);
                    s0 = _mm512_dpbf16_ps(s0, k, (__m512bh)_mm512_set1_epi32((int)qb[0][p]));
                    s1 = _mm512_dpbf16_ps(s1, k, (__m512bh)_mm512_set1_epi32((int)qb[1][p]));
                    s2 = _mm512_dpbf16_ps(s2, k, (__m512bh)_mm512_set1_epi32((int)qb[2][p]));
                    s3 = _mm512_dpbf16_ps(s3, k, (__m512bh)_mm512_set1_epi32((int)qb[3][p]));
                }
                __m512 sc = _mm512_set1_ps(scale);
                _mm512_store_ps(scores[0] + b * 16, _mm512_mul_ps(s0, sc));
                _mm512_store_ps(scores[1] + b * 16, _mm512_mul_ps(s1, sc));
                _mm512_store_ps(scores[2] + b * 16, _mm512_mul_ps(s2, sc));
                _mm512_store_ps(scores[3] + b * 16, _mm512_mul_ps(s3, sc));
            }
            for (int i = 0; i < group; i++) {
                int64_t limit = causal_offset >= 0 ? causal_offset + r0 + i + 1 - t0 : tile;
                if (limit > tile) limit = tile;
                if (limit <= 0) {
                    for (int64_t j = 0; j < KEY_TILE / 2; j++) pb[i][j] = 0;
                    continue;
                }
                float largest = state.max[i];
                for (int64_t j = 0; j < limit; j++) largest = scores[i][j] > largest ? scores[i][j] : largest;
                const float correction = expf(state.max[i] - largest);
                __m512 m = _mm512_set1_ps(largest), total = _mm512_setzero_ps();
                for (int64_t b = 0; b < KEY_TILE / 16; b++) {
                    int64_t live = limit - b * 16;
                    __mmask16 mask = live >= 16 ? 0xFFFF : live > 0 ? (__mmask16)((1u << live) - 1) : 0;
                    __m512 e = _mm512_maskz_mov_ps(mask, loom_exp_avx512(_mm512_sub_ps(_mm512_load_ps(scores[i] + b * 16), m)));
                    total = _mm512_add_ps(total, e);
                    _mm256_storeu_si256((__m256i *)(pb[i] + b * 8),
                                        (__m256i)_mm512_cvtneps_pbh(e));
                }
                state.sum[i] = state.sum[i] * correction + _mm512_reduce_add_ps(total);
                state.max[i] = largest;
                if (correction != 1.0f) {
                    __m512 c = _mm512_set1_ps(correction);
                    for (int64_t ch = 0; ch < chunks; ch++)
                        _mm512_store_ps(acc[i] + ch * 16, _mm512_mul_ps(_mm512_load_ps(acc[i] + ch * 16), c));
                }
            }
            for (int i = group; i < ROW_GROUP; i++) for (int64_t j = 0; j < KEY_TILE / 2; j++) pb[i][j] = 0;
            /* bf16 pairs of probabilities: two consecutive keys per 32-bit lane, as the value layout pairs them. */
            const int64_t key_pairs = (tile + 1) / 2;
            const uint16_t *vb = values + (t0 / 2) * dpad * 2;
            for (int64_t ch0 = 0; ch0 < chunks; ch0 += 4) {
                const int64_t width = chunks - ch0 < 4 ? chunks - ch0 : 4;
                __m512 o[ROW_GROUP][4];
                for (int i = 0; i < ROW_GROUP; i++)
                    for (int c = 0; c < 4; c++) o[i][c] = c < width ? _mm512_load_ps(acc[i] + (ch0 + c) * 16) : _mm512_setzero_ps();
                for (int64_t jp = 0; jp < key_pairs; jp++) {
                    const uint16_t *v = vb + (jp * dpad + ch0 * 16) * 2;
                    __m512bh p0 = (__m512bh)_mm512_set1_epi32((int)pb[0][jp]), p1 = (__m512bh)_mm512_set1_epi32((int)pb[1][jp]);
                    __m512bh p2 = (__m512bh)_mm512_set1_epi32((int)pb[2][jp]), p3 = (__m512bh)_mm512_set1_epi32((int)pb[3][jp]);
                    for (int c = 0; c < 4; c++) {
                        if (c >= width) break;
                        __m512bh vv = (__m512bh)_mm512_loadu_si512(v + c * 32);
                        o[0][c] = _mm512_dpbf16_ps(o[0][c], vv, p0);
                        o[1][c] = _mm512_dpbf16_ps(o[1][c], vv, p1);
                        o[2][c] = _mm512_dpbf16_ps(o[2][c], vv, p2);
                        o[3][c] = _mm512_dpbf16_ps(o[3][c], vv, p3);
                    }
                }
                for (int i = 0; i < ROW_GROUP; i++)
                    for (int c = 0; c < width; c++) _mm512_store_ps(acc[i] + (ch0 + c) * 16, o[i][c]);
            }
        }
        for (int i = 0; i < group; i++) {
            float inverse = state.sum[i] > 0 ? 1 / state.sum[i] : 0;
            float *row = out + (r0 + i) * out_stride;
            for (int64_t d = 0; d < head_dim; d++) row[d] = acc[i][d] * inverse;
        }
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
