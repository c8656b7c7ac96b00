import CKernels

/// Blosc2's BITSHUFFLE filter (spec §3.2; the slot's meta is ignored).
///
/// With `ts` the typesize and `N = (size / ts)` rounded down to a multiple of
/// 8, the first `N·ts` bytes are read as N elements of `8·ts` bits (bit r of an
/// element is bit `r % 8` of its byte `r / 8`) and written as `8·ts` rows of
/// `N / 8` bytes: bit r of element i goes to output bit `r·N + i`, packed
/// LSB first. The remaining bytes are copied unchanged.
///
/// That is a byte transpose (SHUFFLE: element byte b to plane b) followed by a
/// bit transpose of each plane (bit k of plane b's bytes to row `8·b + k`).
/// Both run over strips of elements small enough for the L1 cache: the
/// strip's planes go through a scratch buffer, the bit step is the SIMD
/// kernel of CKernels.
package enum BitShuffle {
    /// Bit-shuffles `source` into `destination`.
    ///
    /// - Parameter legacyVersion2: a version-2 (Blosc1) chunk's rule: a block
    ///   whose element count `size / typesize` is not a multiple of 8 is
    ///   copied unchanged instead of bit-shuffled.
    /// - Precondition (checked, throws `.badFileFormat`): the buffers have the
    ///   same size and do not overlap, and `typesize >= 1`.
    package static func forward(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, typesize: Int,
        legacyVersion2: Bool = false
    ) throws(SwKasError) {
        try run(source, destination, typesize: typesize, legacyVersion2: legacyVersion2, inverse: false, streaming: false)
    }

    /// Undoes `forward` with the same arguments; `streaming` writes
    /// `destination` around the caches (see `ByteTranspose.inverse`).
    package static func inverse(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, typesize: Int,
        legacyVersion2: Bool = false, streaming: Bool = false
    ) throws(SwKasError) {
        try run(
            source, destination, typesize: typesize, legacyVersion2: legacyVersion2, inverse: true, streaming: streaming)
    }

    /// Bytes of plane scratch per strip.
    static let stripBytes = 16384

    private static func run(
        _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableRawBufferPointer, typesize ts: Int,
        legacyVersion2: Bool, inverse: Bool, streaming: Bool
    ) throws(SwKasError) {
        guard ts >= 1 else { throw .badFileFormat }
        guard let (input, output) = try FilterBuffers.check(source, destination) else { return }
        let count = source.count
        let elements = count / ts
        let n = legacyVersion2 && elements % 8 != 0 ? 0 : elements & ~7
        if ts == 1 {
            // One plane: the bit step alone, straight between the buffers.
            if inverse { swkas_unbitrows(input, n / 8, output, n) } else { swkas_bitrows(input, n, output, n / 8) }
        } else if n > 0 {
            // Elements per strip: a multiple of 8, the planes within stripBytes.
            let strip = Swift.max(8, (stripBytes / ts) & ~7)
            withUnsafeTemporaryAllocation(byteCount: strip &* ts, alignment: 64) { scratch in
                guard let planes = scratch.baseAddress else { return }
                var first = 0
                while first < n {
                    let size = Swift.min(strip, n &- first)
                    // Every offset is below count (first + size ≤ n, n·ts ≤ count).
                    if inverse {
                        for b in 0..<ts {
                            swkas_unbitrows(input + (b &* n &+ first / 8), n / 8, planes + b &* size, size)
                        }
                        ByteTranspose.inverse(
                            UnsafeRawPointer(planes), output + first &* ts, items: size, width: ts,
                            count: count &- first &* ts, streaming: streaming)
                    } else {
                        ByteTranspose.forward(input + first &* ts, planes, items: size, width: ts, count: count &- first &* ts)
                        for b in 0..<ts {
                            swkas_bitrows(planes + b &* size, size, output + (b &* n &+ first / 8), n / 8)
                        }
                    }
                    first &+= size
                }
            }
        }
        ByteTranspose.copyTail(input, output, from: n &* ts, count: count)  // n·ts ≤ count
    }
}
