import CKernels

/// Blosc2's SHUFFLE filter (spec §3.1): a block of `n = size / width` items of
/// `width` bytes is rewritten as `width` byte planes of `n` bytes,
/// `out[j·n + i] = in[i·width + j]`, so that the similar bytes of similar
/// values sit together for the codec. The last `size % width` bytes are copied
/// unchanged. `inverse` undoes `forward`.
///
/// Both directions are one byte-matrix transpose (n × width into width × n and
/// back). Widths 2, 4, 8 and 16 run the SIMD kernels of CKernels (AVX2 or
/// SSE2); other widths run the portable 8 × 8 tile transposes of
/// `ByteTranspose`.
package enum Shuffle {
    /// The shuffle width of a filter slot: its meta when non-zero (meta groups
    /// bytes, e.g. 2 on 4-byte items), else the chunk's typesize.
    @inlinable
    package static func width(meta: UInt8, typesize: Int) -> Int {
        meta != 0 ? Int(meta) : typesize
    }

    /// Shuffles `source` into `destination`.
    ///
    /// - Precondition (checked, throws `.badFileFormat`): the buffers have the
    ///   same size and do not overlap, and `width >= 1`.
    package static func forward(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, width: Int
    ) throws(SwKasError) {
        guard width >= 1 else { throw .badFileFormat }
        guard let (input, output) = try FilterBuffers.check(source, destination) else { return }
        let count = source.count
        let n = count / width
        ByteTranspose.forward(input, output, items: n, width: width, count: count)
        ByteTranspose.copyTail(input, output, from: n &* width, count: count)  // n·width ≤ count
    }

    /// Unshuffles `source` into `destination`: the inverse of `forward`.
    ///
    /// - Parameter streaming: write `destination` around the caches (see
    ///   `ByteTranspose.inverse`).
    /// - Precondition (checked, throws `.badFileFormat`): as for `forward`.
    package static func inverse(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, width: Int,
        streaming: Bool = false
    ) throws(SwKasError) {
        guard width >= 1 else { throw .badFileFormat }
        guard let (input, output) = try FilterBuffers.check(source, destination) else { return }
        let count = source.count
        let n = count / width
        ByteTranspose.inverse(input, output, items: n, width: width, count: count, streaming: streaming)
        ByteTranspose.copyTail(input, output, from: n &* width, count: count)
    }
}

/// The argument checks shared by the filter kernels.
enum FilterBuffers {
    /// The base addresses of two equally sized, non-overlapping buffers, or nil
    /// when they are empty (nothing to do). Throws `.badFileFormat` otherwise.
    @inline(__always)
    static func check(_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableRawBufferPointer)
        throws(SwKasError) -> (UnsafeRawPointer, UnsafeMutableRawPointer)?
    {
        guard source.count == destination.count else { throw .badFileFormat }
        guard let input = source.baseAddress, let output = destination.baseAddress, source.count > 0 else {
            return nil
        }
        if overlap(input, source.count, UnsafeRawPointer(output), destination.count) { throw .badFileFormat }
        return (input, output)
    }

    /// Whether `[a, a+aCount)` and `[b, b+bCount)` share a byte. Buffers never
    /// wrap the address space, so the additions cannot overflow.
    @inline(__always)
    static func overlap(_ a: UnsafeRawPointer, _ aCount: Int, _ b: UnsafeRawPointer, _ bCount: Int) -> Bool {
        let start = UInt(bitPattern: a)
        let other = UInt(bitPattern: b)
        return start < other &+ UInt(bCount) && other < start &+ UInt(aCount)
    }
}

/// Eight 64-bit words: an 8 × 8 byte (or bit) matrix, word k being row k.
typealias Words8 = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

/// The byte transposes of SHUFFLE (and of BITSHUFFLE's first step): the SIMD
/// kernels where they apply, else little-endian 8 × 8 tile transposes held
/// in eight 64-bit words. Callers guarantee every access is in bounds.
enum ByteTranspose {
    /// `n` items of `width` bytes at `input` into `width` planes of `n` bytes
    /// at `output`. `count` (at least n·width) is how many bytes `input`
    /// holds: narrow widths read whole words up to it.
    static func forward(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, items n: Int, width: Int, count: Int) {
        if width == 1 {
            output.copyMemory(from: input, byteCount: n)
        } else if swkas_shuffle(input, output, n, width, n) != 0 {
            if width < 8 {
                narrowForward(input, output, items: n, width: width, count: count)
            } else {
                wideForward(input, output, items: n, width: width)
            }
        }
    }

    /// The inverse of `forward`; `count` (at least n·width) is how many bytes
    /// `output` holds: narrow widths write whole words up to it. `streaming`
    /// asks the SIMD kernels for non-temporal stores, for outputs far larger
    /// than the caches.
    static func inverse(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, items n: Int, width: Int, count: Int,
        streaming: Bool = false
    ) {
        if width == 1 {
            output.copyMemory(from: input, byteCount: n)
        } else if swkas_unshuffle(input, n, output, n, width, streaming ? 1 : 0) != 0 {
            if width < 8 {
                narrowInverse(input, output, items: n, width: width, count: count)
            } else {
                wideInverse(input, output, items: n, width: width)
            }
        }
    }

    @inline(__always)
    static func load(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    static func store(_ value: UInt64, _ base: UnsafeMutableRawPointer, _ offset: Int) {
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
    }

    /// Exchanges the bits of `a` selected by `mask << shift` with the bits of
    /// `b` selected by `mask`.
    @inline(__always)
    static func exchange(_ a: inout UInt64, _ b: inout UInt64, shift: UInt64, mask: UInt64) {
        let t = ((a &>> shift) ^ b) & mask
        b ^= t
        a ^= t &<< shift
    }

    /// Byte j of word k becomes byte k of word j. Each stage swaps one bit of
    /// the word index with the same bit of the byte index.
    @inline(__always)
    static func transpose(_ x: inout Words8) {
        let m8: UInt64 = 0x00FF_00FF_00FF_00FF
        let m16: UInt64 = 0x0000_FFFF_0000_FFFF
        let m32: UInt64 = 0x0000_0000_FFFF_FFFF
        exchange(&x.0, &x.1, shift: 8, mask: m8)
        exchange(&x.2, &x.3, shift: 8, mask: m8)
        exchange(&x.4, &x.5, shift: 8, mask: m8)
        exchange(&x.6, &x.7, shift: 8, mask: m8)
        exchange(&x.0, &x.2, shift: 16, mask: m16)
        exchange(&x.1, &x.3, shift: 16, mask: m16)
        exchange(&x.4, &x.6, shift: 16, mask: m16)
        exchange(&x.5, &x.7, shift: 16, mask: m16)
        exchange(&x.0, &x.4, shift: 32, mask: m32)
        exchange(&x.1, &x.5, shift: 32, mask: m32)
        exchange(&x.2, &x.6, shift: 32, mask: m32)
        exchange(&x.3, &x.7, shift: 32, mask: m32)
    }

    /// Eight words at `base + offset + k·stride`.
    @inline(__always)
    static func gather(_ base: UnsafeRawPointer, _ offset: Int, stride: Int) -> Words8 {
        (load(base, offset), load(base, offset &+ stride), load(base, offset &+ 2 &* stride),
         load(base, offset &+ 3 &* stride), load(base, offset &+ 4 &* stride), load(base, offset &+ 5 &* stride),
         load(base, offset &+ 6 &* stride), load(base, offset &+ 7 &* stride))
    }

    /// Stores the eight words at `base + offset + k·stride`.
    @inline(__always)
    static func scatter(_ x: Words8, _ base: UnsafeMutableRawPointer, _ offset: Int, stride: Int) {
        store(x.0, base, offset)
        store(x.1, base, offset &+ stride)
        store(x.2, base, offset &+ 2 &* stride)
        store(x.3, base, offset &+ 3 &* stride)
        store(x.4, base, offset &+ 4 &* stride)
        store(x.5, base, offset &+ 5 &* stride)
        store(x.6, base, offset &+ 6 &* stride)
        store(x.7, base, offset &+ 7 &* stride)
    }

    // All offsets below are < items·width ≤ the buffer size, so the wrapping
    // operators cannot wrap.

    /// Widths of more than 8: 8 items × 8 byte columns per tile. When the
    /// width is not a multiple of 8 the last column tile overlaps the previous
    /// one, rewriting the same values. Items go in strips of about 8 KiB, each
    /// strip column tile by column tile, so that only eight byte planes are
    /// written (or read) at a time while the strip stays in the L1 cache; all
    /// planes at once thrash it (planes 2^k bytes apart share cache sets).
    static func wideForward(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, items n: Int, width: Int) {
        forEachWideTile(items: n, width: width) { i, start in
            var x = gather(input, i &* width &+ start, stride: width)
            transpose(&x)
            scatter(x, output, start &* n &+ i, stride: n)
        }
        scalarForward(input, output, items: n, width: width, from: n & ~7)
    }

    static func wideInverse(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, items n: Int, width: Int) {
        forEachWideTile(items: n, width: width) { i, start in
            var x = gather(input, start &* n &+ i, stride: n)
            transpose(&x)
            scatter(x, output, i &* width &+ start, stride: width)
        }
        scalarInverse(input, output, items: n, width: width, from: n & ~7)
    }

    /// Calls `tile(item, column)` for the 8 × 8 tiles of the whole groups of
    /// 8 items, in the strip order described above.
    @inline(__always)
    private static func forEachWideTile(items n: Int, width: Int, _ tile: (_ item: Int, _ column: Int) -> Void) {
        let bulk = n & ~7
        let strip = Swift.max(8, (8192 / width) & ~7)
        var first = 0
        while first < bulk {
            let end = Swift.min(first &+ strip, bulk)
            var column = 0
            while true {
                let start = Swift.min(column, width &- 8)
                var i = first
                while i < end {
                    tile(i, start)
                    i &+= 8
                }
                column &+= 8
                if column >= width { break }
            }
            first = end
        }
    }

    /// Widths 3, 5, 6 and 7: tiles of 8 items, each item loaded as a whole
    /// word of which only `width` bytes are used. Tiles stop where such a
    /// word would run past `count`.
    @inline(__always)
    static func narrowForward(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, items n: Int, width: Int, count: Int
    ) {
        // Tile i reads up to (i+7)·width + 8 ≤ count, i.e. i + 8 ≤ fit.
        let fit = count >= 8 ? (count &- 8) / width &+ 1 : 0
        let bulk = Swift.max(0, Swift.min(n, fit)) & ~7
        var i = 0
        while i < bulk {
            var x = gather(input, i &* width, stride: width)
            transpose(&x)
            withUnsafeBytes(of: &x) { words in
                for plane in 0..<width {
                    store(words.load(fromByteOffset: 8 &* plane, as: UInt64.self), output, plane &* n &+ i)
                }
            }
            i &+= 8
        }
        scalarForward(input, output, items: n, width: width, from: bulk)
    }

    @inline(__always)
    static func narrowInverse(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, items n: Int, width: Int, count: Int
    ) {
        // Items are written in ascending order as whole words: the spare bytes
        // land on later items (rewritten next) or the tail (copied last).
        let fit = count >= 8 ? (count &- 8) / width &+ 1 : 0
        let bulk = Swift.max(0, Swift.min(n, fit)) & ~7
        var i = 0
        while i < bulk {
            var x: Words8 = (0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &x) { words in
                for plane in 0..<width {
                    words.storeBytes(of: load(input, plane &* n &+ i), toByteOffset: 8 &* plane, as: UInt64.self)
                }
            }
            transpose(&x)
            scatter(x, output, i &* width, stride: width)
            i &+= 8
        }
        scalarInverse(input, output, items: n, width: width, from: bulk)
    }

    /// Items `from..<n`, byte by byte.
    @inline(__always)
    static func scalarForward(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, items n: Int, width: Int, from start: Int
    ) {
        guard start < n else { return }
        let source = input.assumingMemoryBound(to: UInt8.self)
        let target = output.assumingMemoryBound(to: UInt8.self)
        for plane in 0..<width {
            for i in start..<n { target[plane &* n &+ i] = source[i &* width &+ plane] }
        }
    }

    @inline(__always)
    static func scalarInverse(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, items n: Int, width: Int, from start: Int
    ) {
        guard start < n else { return }
        let source = input.assumingMemoryBound(to: UInt8.self)
        let target = output.assumingMemoryBound(to: UInt8.self)
        for plane in 0..<width {
            for i in start..<n { target[i &* width &+ plane] = source[plane &* n &+ i] }
        }
    }

    /// Copies bytes `from..<count` unchanged.
    @inline(__always)
    static func copyTail(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, from start: Int, count: Int) {
        if start < count { (output + start).copyMemory(from: input + start, byteCount: count &- start) }
    }
}
