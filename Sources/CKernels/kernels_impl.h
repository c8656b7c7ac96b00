/* The kernel bodies, compiled once per instruction set: kernels.c includes
 * this file with KERNEL(name) giving each variant its own names.
 *
 * Every kernel works on tiles of 32 items held in vectors of 32 bytes. The
 * byte moves are interleaves within 16-byte halves (x86's unpack, so that
 * SSE2 code runs each half as one register), which keeps the two halves
 * apart: a tile's first 16 items travel in the low halves, the next 16 in the
 * high halves. Within a half, byte position p (item bits above byte-in-item
 * bits) sits at vector p / 16, lane p % 16, and one STAGE rotates the bits
 * of p left by one. A 16-item half of width 2^k holds 4 + k bits, so four
 * stages turn items into planes and k stages turn planes back into items. */

/* One rotation: vectors m and m + w/2 interleave into vectors 2m, 2m + 1. */
static inline __attribute__((always_inline)) void KERNEL(stage)(v8 *x, int w) {
    v8 y[16];
    _Pragma("unroll")
    for (int m = 0; m < w / 2; m++) {
        y[2 * m] = INTERLEAVE_LOW(x[m], x[m + w / 2]);
        y[2 * m + 1] = INTERLEAVE_HIGH(x[m], x[m + w / 2]);
    }
    _Pragma("unroll")
    for (int i = 0; i < w; i++) x[i] = y[i];
}

/* Transposes the 8 x 8 bit matrix of each 64-bit lane (byte k = row k, bit j
 * = column j): bit j of byte k becomes bit k of byte j. */
static inline __attribute__((always_inline)) void KERNEL(transpose_bits)(v8 *x) {
    v64 a = (v64)*x;
    v64 t = (a ^ (a >> 7)) & 0x00AA00AA00AA00AAull;
    a ^= t ^ (t << 7);
    t = (a ^ (a >> 14)) & 0x0000CCCC0000CCCCull;
    a ^= t ^ (t << 14);
    t = (a ^ (a >> 28)) & 0x00000000F0F0F0F0ull;
    a ^= t ^ (t << 28);
    *x = (v8)a;
}

/* The low half from `low`, the high half from `high`. */
static inline __attribute__((always_inline)) void KERNEL(load_halves)(v8 *x, const uint8_t *low, const uint8_t *high) {
    v16 a, b;
    memcpy(&a, low, 16);
    memcpy(&b, high, 16);
    *x = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
}

/* Stores the low halves of `a` and `b` as 32 bytes at `low`, their high
 * halves at `high`. Streaming stores (32-byte aligned targets only) bypass
 * the caches. */
static inline __attribute__((always_inline)) void KERNEL(store_pair)(const v8 *a, const v8 *b, uint8_t *low,
                                                                   uint8_t *high, int streaming) {
    v8 first = __builtin_shufflevector(*a, *b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 32, 33, 34, 35, 36,
                                       37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47);
    v8 second = __builtin_shufflevector(*a, *b, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 48, 49,
                                        50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63);
    if (streaming) {
        __builtin_nontemporal_store(first, (v8 *)(void *)low);
        __builtin_nontemporal_store(second, (v8 *)(void *)high);
    } else {
        memcpy(low, &first, 32);
        memcpy(high, &second, 32);
    }
}

/* One tile of SHUFFLE for width 2^k: 32 items from `tile` into x[0..w). */
static inline __attribute__((always_inline)) void KERNEL(shuffle_tile)(const uint8_t *tile, v8 *x, int k) {
    const int w = 1 << k;
    _Pragma("unroll")
    for (int v = 0; v < w; v++) KERNEL(load_halves)(&x[v], tile + 16 * v, tile + 16 * w + 16 * v);
    _Pragma("unroll")
    for (int s = 0; s < 4; s++) KERNEL(stage)(x, w);
}

/* The inverse: planes x[0..w) (32 items each) into `tile`. */
static inline __attribute__((always_inline)) void KERNEL(unshuffle_tile)(v8 *x, uint8_t *tile, int k, int streaming) {
    const int w = 1 << k;
    _Pragma("unroll")
    for (int s = 0; s < k; s++) KERNEL(stage)(x, w);
    _Pragma("unroll")
    for (int v = 0; v < w; v += 2) {
        KERNEL(store_pair)(&x[v], &x[v + 1], tile + 16 * v, tile + 16 * w + 16 * v, streaming);
    }
}

/* SHUFFLE for width 2^k, two tiles at a time so that each plane is written
 * a whole 64-byte line at once: planes a power of two apart share cache sets,
 * and 16 half-written lines in one set do not all stay in the L1 cache. Then
 * one more tile, and the last n % 32 items bytewise. */
static inline __attribute__((always_inline)) void KERNEL(shuffle_width)(const uint8_t *src, uint8_t *dst, size_t n,
                                                                      size_t stride, int k) {
    const int w = 1 << k;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        v8 first[16], x[16];
        KERNEL(shuffle_tile)(src + i * w, first, k);
        KERNEL(shuffle_tile)(src + (i + 32) * w, x, k);
        _Pragma("unroll")
        for (int j = 0; j < w; j++) {
            memcpy(dst + j * stride + i, &first[j], 32);
            memcpy(dst + j * stride + i + 32, &x[j], 32);
        }
    }
    if (i + 32 <= n) {
        v8 x[16];
        KERNEL(shuffle_tile)(src + i * w, x, k);
        _Pragma("unroll")
        for (int j = 0; j < w; j++) memcpy(dst + j * stride + i, &x[j], 32);
        i += 32;
    }
    for (int j = 0; j < w; j++) {
        for (size_t m = i; m < n; m++) dst[j * stride + m] = src[m * w + j];
    }
}

/* The inverse, reading each plane a whole 64-byte line at once; with
 * `streaming`, dst is 32-byte aligned and the tiles bypass the caches. */
static inline __attribute__((always_inline)) void KERNEL(unshuffle_width)(const uint8_t *src, size_t stride,
                                                                        uint8_t *dst, size_t n, int k, int streaming) {
    const int w = 1 << k;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        v8 second[16], x[16];
        _Pragma("unroll")
        for (int j = 0; j < w; j++) {
            memcpy(&x[j], src + j * stride + i, 32);
            memcpy(&second[j], src + j * stride + i + 32, 32);
        }
        KERNEL(unshuffle_tile)(x, dst + i * w, k, streaming);
        KERNEL(unshuffle_tile)(second, dst + (i + 32) * w, k, streaming);
    }
    if (i + 32 <= n) {
        v8 x[16];
        _Pragma("unroll")
        for (int j = 0; j < w; j++) memcpy(&x[j], src + j * stride + i, 32);
        KERNEL(unshuffle_tile)(x, dst + i * w, k, streaming);
        i += 32;
    }
    for (int j = 0; j < w; j++) {
        for (size_t m = i; m < n; m++) dst[m * w + j] = src[j * stride + m];
    }
}

static int KERNEL(shuffle)(const uint8_t *src, uint8_t *dst, size_t n, size_t width, size_t stride) {
    switch (width) {
    case 2: KERNEL(shuffle_width)(src, dst, n, stride, 1); return 0;
    case 4: KERNEL(shuffle_width)(src, dst, n, stride, 2); return 0;
    case 8: KERNEL(shuffle_width)(src, dst, n, stride, 3); return 0;
    case 16: KERNEL(shuffle_width)(src, dst, n, stride, 4); return 0;
    default: return -1;
    }
}

static int KERNEL(unshuffle)(const uint8_t *src, size_t stride, uint8_t *dst, size_t n, size_t width,
                             int streaming) {
    if (((uintptr_t)dst & 31) != 0) streaming = 0;
    switch (width * 2 + (streaming != 0)) {
    case 4: KERNEL(unshuffle_width)(src, stride, dst, n, 1, 0); return 0;
    case 5: KERNEL(unshuffle_width)(src, stride, dst, n, 1, 1); break;
    case 8: KERNEL(unshuffle_width)(src, stride, dst, n, 2, 0); return 0;
    case 9: KERNEL(unshuffle_width)(src, stride, dst, n, 2, 1); break;
    case 16: KERNEL(unshuffle_width)(src, stride, dst, n, 3, 0); return 0;
    case 17: KERNEL(unshuffle_width)(src, stride, dst, n, 3, 1); break;
    case 32: KERNEL(unshuffle_width)(src, stride, dst, n, 4, 0); return 0;
    case 33: KERNEL(unshuffle_width)(src, stride, dst, n, 4, 1); break;
    default: return -1;
    }
    STREAMING_FENCE();
    return 0;
}

/* Bit rows: a tile is 32 words of 8 bytes. Transposing each word's bits makes
 * byte r of word g row r's byte g; a width-8 SHUFFLE then gathers the rows. */
static void KERNEL(bitrows)(const uint8_t *src, size_t count, uint8_t *dst, size_t rowstride) {
    const size_t words = count / 8;
    const size_t bulk = words & ~(size_t)31;
    for (size_t g = 0; g < bulk; g += 32) {
        const uint8_t *tile = src + 8 * g;
        v8 x[8];
        _Pragma("unroll")
        for (int v = 0; v < 8; v++) {
            KERNEL(load_halves)(&x[v], tile + 16 * v, tile + 128 + 16 * v);
            KERNEL(transpose_bits)(&x[v]);
        }
        _Pragma("unroll")
        for (int s = 0; s < 4; s++) KERNEL(stage)(x, 8);
        _Pragma("unroll")
        for (int r = 0; r < 8; r++) memcpy(dst + r * rowstride + g, &x[r], 32);
    }
    for (size_t g = bulk; g < words; g++) {
        uint64_t word = transpose_word(load_word(src + 8 * g));
        _Pragma("unroll")
        for (int r = 0; r < 8; r++) dst[r * rowstride + g] = (uint8_t)(word >> (8 * r));
    }
}

static void KERNEL(unbitrows)(const uint8_t *src, size_t rowstride, uint8_t *dst, size_t count) {
    const size_t words = count / 8;
    const size_t bulk = words & ~(size_t)31;
    for (size_t g = 0; g < bulk; g += 32) {
        uint8_t *tile = dst + 8 * g;
        v8 x[8];
        _Pragma("unroll")
        for (int r = 0; r < 8; r++) memcpy(&x[r], src + r * rowstride + g, 32);
        _Pragma("unroll")
        for (int s = 0; s < 3; s++) KERNEL(stage)(x, 8);
        _Pragma("unroll")
        for (int v = 0; v < 8; v++) KERNEL(transpose_bits)(&x[v]);
        _Pragma("unroll")
        for (int v = 0; v < 8; v += 2) KERNEL(store_pair)(&x[v], &x[v + 1], tile + 16 * v, tile + 128 + 16 * v, 0);
    }
    for (size_t g = bulk; g < words; g++) {
        uint64_t word = 0;
        _Pragma("unroll")
        for (int r = 0; r < 8; r++) word |= (uint64_t)src[r * rowstride + g] << (8 * r);
        store_word(dst + 8 * g, transpose_word(word));
    }
}
