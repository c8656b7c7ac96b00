/* SHUFFLE and BITSHUFFLE kernels (see swkas_kernels.h and kernels_impl.h). */
#include "swkas_kernels.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the bit transposes assume a little-endian host"
#endif

typedef uint8_t v8 __attribute__((vector_size(32)));
typedef uint8_t v16 __attribute__((vector_size(16)));
typedef uint64_t v64 __attribute__((vector_size(32)));

/* Byte interleaves within each 16-byte half (x86 punpcklbw / punpckhbw). */
#define INTERLEAVE_LOW(a, b)                                                                                       \
    __builtin_shufflevector(a, b, 0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39, 16, 48, 17, 49, 18, 50, \
                            19, 51, 20, 52, 21, 53, 22, 54, 23, 55)
#define INTERLEAVE_HIGH(a, b)                                                                                        \
    __builtin_shufflevector(a, b, 8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47, 24, 56, 25, 57, 26, \
                            58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63)

/* Orders streaming stores before whatever the caller does next. */
#if defined(__x86_64__)
#define STREAMING_FENCE() __builtin_ia32_sfence()
#else
#define STREAMING_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

static inline uint64_t load_word(const uint8_t *p) {
    uint64_t word;
    memcpy(&word, p, 8);
    return word;
}

static inline void store_word(uint8_t *p, uint64_t word) { memcpy(p, &word, 8); }

/* The 8 x 8 bit transpose of one word, for the bytes past the last tile. */
static inline uint64_t transpose_word(uint64_t x) {
    uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
    x ^= t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
    x ^= t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
    x ^= t ^ (t << 28);
    return x;
}

#define KERNEL(name) name##_baseline
#include "kernels_impl.h"
#undef KERNEL

#if defined(__x86_64__)
#include <cpuid.h>

#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#define KERNEL(name) name##_avx2
#include "kernels_impl.h"
#undef KERNEL
#pragma clang attribute pop

/* Whether the CPU has AVX2 and the OS saves YMM registers. */
static int cpu_has_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX)) return 0;
    unsigned low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 6) != 6) return 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX2);
}

/* 0 until probed, then 1 (baseline) or 2 (AVX2). */
static _Atomic int level;

void swkas_kernels_use_baseline(int on) {
    atomic_store_explicit(&level, on ? 1 : 0, memory_order_relaxed);
}

static int use_avx2(void) {
    int current = atomic_load_explicit(&level, memory_order_relaxed);
    if (current == 0) {
        current = cpu_has_avx2() ? 2 : 1;
        atomic_store_explicit(&level, current, memory_order_relaxed);
    }
    return current == 2;
}

#define DISPATCH(name, ...) (use_avx2() ? name##_avx2(__VA_ARGS__) : name##_baseline(__VA_ARGS__))
#else
#define DISPATCH(name, ...) name##_baseline(__VA_ARGS__)

void swkas_kernels_use_baseline(int on) { (void)on; }
#endif

int swkas_shuffle(const void *src, void *dst, size_t n, size_t width, size_t stride) {
    return DISPATCH(shuffle, src, dst, n, width, stride);
}

int swkas_unshuffle(const void *src, size_t stride, void *dst, size_t n, size_t width, int streaming) {
    return DISPATCH(unshuffle, src, stride, dst, n, width, streaming);
}

void swkas_bitrows(const void *src, size_t count, void *dst, size_t rowstride) {
    DISPATCH(bitrows, src, count, dst, rowstride);
}

void swkas_unbitrows(const void *src, size_t rowstride, void *dst, size_t count) {
    DISPATCH(unbitrows, src, rowstride, dst, count);
}
