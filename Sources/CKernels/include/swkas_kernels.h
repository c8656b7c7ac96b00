/* SIMD kernels for Blosc2's SHUFFLE and BITSHUFFLE filters (spec §3.1, §3.2).
 * x86-64 runs AVX2 code when the CPU has it, SSE2 code otherwise; other
 * targets run the same vector code through the compiler's generic lowering.
 * Buffers must not overlap; callers check sizes. */
#ifndef SWKAS_KERNELS_H
#define SWKAS_KERNELS_H

#include <stddef.h>

/* The byte transpose of SHUFFLE: `n` items of `width` bytes at `src` become
 * `width` planes of `n` bytes, plane j at `dst + j * stride` (stride >= n):
 * dst[j * stride + i] = src[i * width + j]. Handles widths 2, 4, 8 and 16;
 * returns 0, or -1 for any other width (nothing written). */
int swkas_shuffle(const void *src, void *dst, size_t n, size_t width, size_t stride);

/* The inverse of swkas_shuffle: plane j at `src + j * stride` becomes byte j
 * of the `n` items at `dst`. With `streaming` non-zero, most of `dst` is
 * written with non-temporal stores, which skip the caches: faster when dst
 * is far larger than the caches, slower for a reader that wants it soon.
 * Returns 0, or -1 for an unhandled width. */
int swkas_unshuffle(const void *src, size_t stride, void *dst, size_t n, size_t width, int streaming);

/* The bit transpose of BITSHUFFLE within one byte plane: `count` bytes
 * (a multiple of 8) at `src` become 8 rows of count / 8 bytes, row r at
 * `dst + r * rowstride`, packing bit r of each byte, 8 bytes per row byte,
 * least significant bit first. */
void swkas_bitrows(const void *src, size_t count, void *dst, size_t rowstride);

/* The inverse of swkas_bitrows. */
void swkas_unbitrows(const void *src, size_t rowstride, void *dst, size_t count);

/* Whether the kernels run their baseline (SSE2) code even on a CPU with
 * AVX2; for tests, which run both. Results never depend on it. */
void swkas_kernels_use_baseline(int on);

#endif
