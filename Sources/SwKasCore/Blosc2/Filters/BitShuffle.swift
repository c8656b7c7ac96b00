/// Blosc2's BITSHUFFLE filter (spec §3.2; the slot's meta is ignored).
///
/// With `ts` the typesize and `N = (size / ts)` rounded down to a multiple of
/// 8, the first `N·ts` bytes are read as N elements of `8·ts` bits (bit r of an
/// element is bit `r % 8` of its byte `r / 8`) and written as `8·ts` rows of
/// `N / 8` bytes: bit r of element i goes to output bit `r·N + i`, packed
/// LSB first. The remaining bytes are copied unchanged.
///
/// Kernel: per 64 elements and byte b, the eight 8-element groups' bytes b
/// are gathered with an 8 × 8 byte transpose, each group's 8 × 8 bit matrix is
/// transposed in one word, and a second byte transpose turns the eight
/// results into eight output rows of one word each.
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
        try run(source, destination, typesize: typesize, legacyVersion2: legacyVersion2, inverse: false)
    }

    /// Undoes `forward` with the same arguments.
    package static func inverse(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, typesize: Int,
        legacyVersion2: Bool = false
    ) throws(SwKasError) {
        try run(source, destination, typesize: typesize, legacyVersion2: legacyVersion2, inverse: true)
    }

    private static func run(
        _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableRawBufferPointer, typesize ts: Int,
        legacyVersion2: Bool, inverse: Bool
    ) throws(SwKasError) {
        guard ts >= 1 else { throw .badFileFormat }
        guard let (input, output) = try FilterBuffers.check(source, destination) else { return }
        let count = source.count
        let elements = count / ts
        let n = legacyVersion2 && elements % 8 != 0 ? 0 : elements & ~7
        if n > 0 {
            // Scratch: 64 words (word 8·g + j: group g, byte j of a tile), then
            // the staging area of 64 rows × 8 words.
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64 + 64 * Kernel.stripChunks) { scratch in
                guard let words = scratch.baseAddress else { return }
                words.initialize(repeating: 0, count: scratch.count)
                let kernel = Kernel(
                    input: input, output: output, n: n, count: count, words: words,
                    stage: UnsafeMutableRawPointer(words + 64))
                switch (ts, inverse) {
                case (1, false): kernel.forward(typesize: 1)
                case (2, false): kernel.forward(typesize: 2)
                case (4, false): kernel.forward(typesize: 4)
                case (8, false): kernel.forward(typesize: 8)
                case (16, false): kernel.forward(typesize: 16)
                case (_, false): kernel.forward(typesize: ts)
                case (1, true): kernel.inverse(typesize: 1)
                case (2, true): kernel.inverse(typesize: 2)
                case (4, true): kernel.inverse(typesize: 4)
                case (8, true): kernel.inverse(typesize: 8)
                case (16, true): kernel.inverse(typesize: 16)
                case (_, true): kernel.inverse(typesize: ts)
                }
            }
        }
        ByteTranspose.copyTail(input, output, from: n &* ts, count: count)  // n·ts ≤ count
    }

    /// Transposes the 8 × 8 bit matrix of a word (byte k = row k, bit j =
    /// column j, LSB first): bit j of byte k becomes bit k of byte j. Its own
    /// inverse.
    @inline(__always)
    static func transposeBits(_ word: UInt64) -> UInt64 {
        var x = word
        var t = (x ^ (x &>> 7)) & 0x00AA_00AA_00AA_00AA
        x ^= t ^ (t &<< 7)
        t = (x ^ (x &>> 14)) & 0x0000_CCCC_0000_CCCC
        x ^= t ^ (t &<< 14)
        t = (x ^ (x &>> 28)) & 0x0000_0000_F0F0_F0F0
        x ^= t ^ (t &<< 28)
        return x
    }

    /// One call's buffers. `n` (a multiple of 8) elements are transformed;
    /// `count` is the buffers' size, which bounds the whole-word accesses to
    /// elements narrower than 8 bytes. Every offset is below `count`, so the
    /// wrapping operators cannot wrap.
    ///
    /// The bulk goes in strips of `stripChunks` × 64 elements and, within a
    /// strip, tiles of up to 8 element bytes (64 rows). A tile's rows are
    /// built in `stage` and copied out whole, row by row, because writing
    /// 8-byte pieces straight to 64 rows a power of two apart thrashes the
    /// cache (and reading them back the same way, for the inverse).
    private struct Kernel {
        static let stripChunks = 8

        let input: UnsafeRawPointer
        let output: UnsafeMutableRawPointer
        let n: Int
        let count: Int
        let words: UnsafeMutablePointer<UInt64>
        /// 64 rows of `8 · stripChunks` bytes.
        let stage: UnsafeMutableRawPointer

        /// Bytes per output row.
        var row: Int { n &>> 3 }

        /// Bytes per staged row.
        var stageRow: Int { 8 &* Kernel.stripChunks }

        @inline(__always)
        func forward(typesize ts: Int) {
            let bulk = n & ~63
            var first = 0
            while first < bulk {
                let chunks = Swift.min(Kernel.stripChunks, (bulk &- first) &>> 6)
                var column = 0
                while column < ts {
                    // The tile: bytes start ..< start + width of each element.
                    let start = ts >= 8 ? Swift.min(column, ts &- 8) : 0
                    let width = Swift.min(ts, 8)
                    for c in 0..<chunks {
                        let e = first &+ 64 &* c
                        if ts == 1 {
                            for g in 0..<8 {
                                words[8 &* g] = BitShuffle.transposeBits(ByteTranspose.load(input, e &+ 8 &* g))
                            }
                        } else if ts == 2 || ts == 4 {
                            gatherPacked(typesize: ts, element: e)
                        } else {
                            gatherTile(typesize: ts, element: e, byte: start)
                        }
                        for j in 0..<width { emitRows(slot: j, into: stage, 8 &* j &* stageRow &+ 8 &* c, stride: stageRow) }
                    }
                    for r in 0..<(8 &* width) {
                        let target: Int = (8 &* start &+ r) &* row &+ first &>> 3
                        let staged: Int = r &* stageRow
                        (output + target).copyMemory(from: UnsafeRawPointer(stage + staged), byteCount: 8 &* chunks)
                    }
                    column &+= 8
                }
                first &+= 64 &* chunks
            }
            var e = bulk
            while e < n {
                forwardGroup(typesize: ts, element: e)
                e &+= 8
            }
        }

        @inline(__always)
        func inverse(typesize ts: Int) {
            let bulk = n & ~63
            var first = 0
            while first < bulk {
                let chunks = Swift.min(Kernel.stripChunks, (bulk &- first) &>> 6)
                var column = 0
                while column < ts {
                    let start = ts >= 8 ? Swift.min(column, ts &- 8) : 0
                    let width = Swift.min(ts, 8)
                    for r in 0..<(8 &* width) {
                        let source: Int = (8 &* start &+ r) &* row &+ first &>> 3
                        let staged: Int = r &* stageRow
                        (stage + staged).copyMemory(from: input + source, byteCount: 8 &* chunks)
                    }
                    for c in 0..<chunks {
                        let e = first &+ 64 &* c
                        for j in 0..<width {
                            absorbRows(slot: j, from: UnsafeRawPointer(stage), 8 &* j &* stageRow &+ 8 &* c, stride: stageRow)
                        }
                        if ts == 1 {
                            for g in 0..<8 { ByteTranspose.store(words[8 &* g], output, e &+ 8 &* g) }
                        } else if ts == 2 || ts == 4 {
                            scatterPacked(typesize: ts, element: e)
                        } else {
                            scatterTile(typesize: ts, element: e, byte: start)
                        }
                    }
                    column &+= 8
                }
                first &+= 64 &* chunks
            }
            var e = bulk
            while e < n {
                inverseGroup(typesize: ts, element: e)
                e &+= 8
            }
        }

        /// Words `8·g + slot` hold the bit-transposed bytes of groups
        /// g = 0..<8 for one element byte b; one byte transpose makes them the
        /// eight words of rows `8·b ..< 8·b + 8` at the chunk's column, stored
        /// at `offset + r·stride`.
        @inline(__always)
        func emitRows(slot: Int, into base: UnsafeMutableRawPointer, _ offset: Int, stride: Int) {
            var x: Words8 = (
                words[slot], words[8 &+ slot], words[16 &+ slot], words[24 &+ slot],
                words[32 &+ slot], words[40 &+ slot], words[48 &+ slot], words[56 &+ slot]
            )
            ByteTranspose.transpose(&x)
            ByteTranspose.scatter(x, base, offset, stride: stride)
        }

        /// The reverse of `emitRows`: the eight row words at `offset +
        /// r·stride` become words `8·g + slot`, one element byte of group g.
        @inline(__always)
        func absorbRows(slot: Int, from base: UnsafeRawPointer, _ offset: Int, stride: Int) {
            var x = ByteTranspose.gather(base, offset, stride: stride)
            ByteTranspose.transpose(&x)
            words[slot] = BitShuffle.transposeBits(x.0)
            words[8 &+ slot] = BitShuffle.transposeBits(x.1)
            words[16 &+ slot] = BitShuffle.transposeBits(x.2)
            words[24 &+ slot] = BitShuffle.transposeBits(x.3)
            words[32 &+ slot] = BitShuffle.transposeBits(x.4)
            words[40 &+ slot] = BitShuffle.transposeBits(x.5)
            words[48 &+ slot] = BitShuffle.transposeBits(x.6)
            words[56 &+ slot] = BitShuffle.transposeBits(x.7)
        }

        /// Typesizes 2 and 4: transpose q packs `8 / ts` groups, word k holding
        /// elements k, k+8, … of those groups side by side, so that after the
        /// transpose word m is byte `m % ts` of group `q·8/ts + m / ts`.
        @inline(__always)
        func gatherPacked(typesize ts: Int, element e: Int) {
            let per = 8 / ts
            for q in 0..<ts {
                let first = e &+ 8 &* per &* q  // first element of this transpose
                @inline(__always) func word(_ k: Int) -> UInt64 {
                    var value: UInt64 = 0
                    for h in 0..<per {
                        value |= item(typesize: ts, at: (first &+ 8 &* h &+ k) &* ts) &<< UInt64(8 &* ts &* h)
                    }
                    return value
                }
                var x: Words8 = (word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7))
                ByteTranspose.transpose(&x)
                // Word m is byte m % ts of group per·q + m / ts.
                @inline(__always) func put(_ m: Int, _ value: UInt64) {
                    words[8 &* (per &* q &+ m / ts) &+ m % ts] = BitShuffle.transposeBits(value)
                }
                put(0, x.0); put(1, x.1); put(2, x.2); put(3, x.3)
                put(4, x.4); put(5, x.5); put(6, x.6); put(7, x.7)
            }
        }

        @inline(__always)
        func scatterPacked(typesize ts: Int, element e: Int) {
            let per = 8 / ts
            for q in 0..<ts {
                let first = e &+ 8 &* per &* q
                @inline(__always) func get(_ m: Int) -> UInt64 { words[8 &* (per &* q &+ m / ts) &+ m % ts] }
                var x: Words8 = (get(0), get(1), get(2), get(3), get(4), get(5), get(6), get(7))
                ByteTranspose.transpose(&x)
                @inline(__always) func put(_ k: Int, _ value: UInt64) {
                    for h in 0..<per {
                        putItem(value &>> UInt64(8 &* ts &* h), typesize: ts, at: (first &+ 8 &* h &+ k) &* ts)
                    }
                }
                put(0, x.0); put(1, x.1); put(2, x.2); put(3, x.3)
                put(4, x.4); put(5, x.5); put(6, x.6); put(7, x.7)
            }
        }

        /// Bytes `byte ..< byte + 8` (or all of an element narrower than 8) of
        /// the 64 elements from `element`: word `8·g + j` gets byte `byte + j`
        /// of group g, bit-transposed.
        @inline(__always)
        func gatherTile(typesize ts: Int, element e: Int, byte start: Int) {
            for g in 0..<8 {
                let offset = (e &+ 8 &* g) &* ts &+ start
                var x: Words8
                if ts >= 8 {
                    x = ByteTranspose.gather(input, offset, stride: ts)
                } else {
                    x = (
                        itemWord(offset), itemWord(offset &+ ts), itemWord(offset &+ 2 &* ts),
                        itemWord(offset &+ 3 &* ts), itemWord(offset &+ 4 &* ts), itemWord(offset &+ 5 &* ts),
                        itemWord(offset &+ 6 &* ts), itemWord(offset &+ 7 &* ts)
                    )
                }
                ByteTranspose.transpose(&x)
                let base = words + 8 &* g
                base[0] = BitShuffle.transposeBits(x.0)
                base[1] = BitShuffle.transposeBits(x.1)
                base[2] = BitShuffle.transposeBits(x.2)
                base[3] = BitShuffle.transposeBits(x.3)
                base[4] = BitShuffle.transposeBits(x.4)
                base[5] = BitShuffle.transposeBits(x.5)
                base[6] = BitShuffle.transposeBits(x.6)
                base[7] = BitShuffle.transposeBits(x.7)
            }
        }

        /// The reverse of `gatherTile`. Elements narrower than 8 bytes are
        /// written as whole words in ascending order: the spare bytes land on
        /// later elements (rewritten next) or the tail (copied last).
        @inline(__always)
        func scatterTile(typesize ts: Int, element e: Int, byte start: Int) {
            for g in 0..<8 {
                let base = words + 8 &* g
                var x: Words8 = (base[0], base[1], base[2], base[3], base[4], base[5], base[6], base[7])
                ByteTranspose.transpose(&x)
                let offset = (e &+ 8 &* g) &* ts &+ start
                if ts >= 8 {
                    ByteTranspose.scatter(x, output, offset, stride: ts)
                } else {
                    putItemWord(x.0, offset, typesize: ts)
                    putItemWord(x.1, offset &+ ts, typesize: ts)
                    putItemWord(x.2, offset &+ 2 &* ts, typesize: ts)
                    putItemWord(x.3, offset &+ 3 &* ts, typesize: ts)
                    putItemWord(x.4, offset &+ 4 &* ts, typesize: ts)
                    putItemWord(x.5, offset &+ 5 &* ts, typesize: ts)
                    putItemWord(x.6, offset &+ 6 &* ts, typesize: ts)
                    putItemWord(x.7, offset &+ 7 &* ts, typesize: ts)
                }
            }
        }

        /// One group of 8 elements, a byte at a time (the last `N mod 64`).
        func forwardGroup(typesize ts: Int, element e: Int) {
            let source = input.assumingMemoryBound(to: UInt8.self)
            let target = output.assumingMemoryBound(to: UInt8.self)
            for b in 0..<ts {
                var word: UInt64 = 0
                for k in 0..<8 { word |= UInt64(source[(e &+ k) &* ts &+ b]) &<< UInt64(8 &* k) }
                word = BitShuffle.transposeBits(word)
                for r in 0..<8 {
                    target[(8 &* b &+ r) &* row &+ e &>> 3] = UInt8(truncatingIfNeeded: word &>> UInt64(8 &* r))
                }
            }
        }

        func inverseGroup(typesize ts: Int, element e: Int) {
            let source = input.assumingMemoryBound(to: UInt8.self)
            let target = output.assumingMemoryBound(to: UInt8.self)
            for b in 0..<ts {
                var word: UInt64 = 0
                for r in 0..<8 { word |= UInt64(source[(8 &* b &+ r) &* row &+ e &>> 3]) &<< UInt64(8 &* r) }
                word = BitShuffle.transposeBits(word)
                for k in 0..<8 { target[(e &+ k) &* ts &+ b] = UInt8(truncatingIfNeeded: word &>> UInt64(8 &* k)) }
            }
        }

        /// The `ts`-byte element (ts = 2 or 4) at `offset`, zero-extended.
        @inline(__always)
        func item(typesize ts: Int, at offset: Int) -> UInt64 {
            ts == 2
                ? UInt64(UInt16(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                : UInt64(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        }

        @inline(__always)
        func putItem(_ value: UInt64, typesize ts: Int, at offset: Int) {
            if ts == 2 {
                output.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt16.self)
            } else {
                output.storeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt32.self)
            }
        }

        /// The word at `offset`, zero-filled past the end of the buffer.
        @inline(__always)
        func itemWord(_ offset: Int) -> UInt64 {
            if offset &+ 8 <= count { return ByteTranspose.load(input, offset) }
            var value: UInt64 = 0
            var k = 0
            while offset &+ k < count && k < 8 {
                value |= UInt64(input.load(fromByteOffset: offset &+ k, as: UInt8.self)) &<< UInt64(8 &* k)
                k &+= 1
            }
            return value
        }

        /// Stores the word at `offset`, or only its first `ts` bytes where a
        /// whole word would pass the end of the buffer.
        @inline(__always)
        func putItemWord(_ value: UInt64, _ offset: Int, typesize ts: Int) {
            if offset &+ 8 <= count {
                ByteTranspose.store(value, output, offset)
                return
            }
            for k in 0..<ts {
                output.storeBytes(of: UInt8(truncatingIfNeeded: value &>> UInt64(8 &* k)), toByteOffset: offset &+ k, as: UInt8.self)
            }
        }
    }
}
