/// Blosc2's DELTA filter (spec §3.3; the slot's meta is ignored). It works on
/// units of `unitWidth(typesize:)` bytes, `cnt = size / unit` of them; bytes
/// past `cnt·unit` (never present in b2nd data) are copied unchanged.
///
/// - Block 0 (`reference` nil): `y[0] = x[0]`, `y[k] = x[k] ^ x[k-1]`.
/// - Any other block: `y[k] = x[k] ^ R[k]`, with R block 0 of the chunk's
///   *original, unfiltered* input when encoding, and block 0 *fully decoded*
///   (through every slot) when decoding. The leftover block uses R's first
///   bytes. Decoders must therefore finish block 0 before the other blocks.
///
/// XOR works byte by byte, so only block 0's lag depends on the unit width.
package enum Delta {
    /// The unit: the typesize when it is 1, 2, 4 or 8; 8 for other multiples
    /// of 8; else 1 (typesizes 3 and 12 use 1, 16 uses 8).
    @inlinable
    package static func unitWidth(typesize: Int) -> Int {
        switch typesize {
        case 1, 2, 4, 8: return typesize
        case _ where typesize > 0 && typesize % 8 == 0: return 8
        default: return 1
        }
    }

    /// Delta-encodes `source` into `destination`.
    ///
    /// - Parameter reference: nil for block 0; for other blocks, block 0 of
    ///   the chunk's original input, at least as long as `source`.
    /// - Precondition (checked, throws `.badFileFormat`): `source` and
    ///   `destination` have the same size and do not overlap, `reference` (if
    ///   any) is long enough and does not overlap `destination`, and
    ///   `typesize >= 1`.
    package static func encode(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, typesize: Int,
        reference: UnsafeRawBufferPointer?
    ) throws(SwKasError) {
        guard typesize >= 1 else { throw .badFileFormat }
        guard let (input, output) = try FilterBuffers.check(source, destination) else { return }
        let count = source.count
        let unit = unitWidth(typesize: typesize)
        let end = count - count % unit  // cnt·unit
        if let other = try referenceBase(reference, count: count, output: output) {
            xor(input, other, into: output, count: end)
        } else {
            encodeFirst(input, output, count: end, unit: unit)
        }
        ByteTranspose.copyTail(input, output, from: end, count: count)
    }

    /// Undoes `encode`.
    ///
    /// - Parameter reference: nil for block 0; for other blocks, the fully
    ///   decoded block 0, at least as long as `source`.
    /// - Precondition (checked, throws `.badFileFormat`): as for `encode`.
    package static func decode(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, typesize: Int,
        reference: UnsafeRawBufferPointer?
    ) throws(SwKasError) {
        guard typesize >= 1 else { throw .badFileFormat }
        guard let (input, output) = try FilterBuffers.check(source, destination) else { return }
        let count = source.count
        let unit = unitWidth(typesize: typesize)
        let end = count - count % unit
        if let other = try referenceBase(reference, count: count, output: output) {
            xor(input, other, into: output, count: end)
        } else {
            switch unit {
            case 1: decodeFirst(input, output, count: end, unit: 1)
            case 2: decodeFirst(input, output, count: end, unit: 2)
            case 4: decodeFirst(input, output, count: end, unit: 4)
            default: decodeFirst(input, output, count: end, unit: 8)
            }
        }
        ByteTranspose.copyTail(input, output, from: end, count: count)
    }

    /// The reference's base address, after checking its length and that the
    /// destination does not overwrite it.
    private static func referenceBase(
        _ reference: UnsafeRawBufferPointer?, count: Int, output: UnsafeMutableRawPointer
    ) throws(SwKasError) -> UnsafeRawPointer? {
        guard let reference else { return nil }
        guard reference.count >= count, let base = reference.baseAddress else { throw .badFileFormat }
        if FilterBuffers.overlap(base, count, UnsafeRawPointer(output), count) { throw .badFileFormat }
        return base
    }

    // Offsets below are < count, the buffers' size: the wrapping operators
    // cannot wrap.

    /// `output[m] = a[m] ^ b[m]` for m < count.
    @inline(__always)
    private static func xor(
        _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, into output: UnsafeMutableRawPointer, count: Int
    ) {
        var m = 0
        while m &+ 32 <= count {
            for q in stride(from: 0, to: 32, by: 8) {
                ByteTranspose.store(ByteTranspose.load(a, m &+ q) ^ ByteTranspose.load(b, m &+ q), output, m &+ q)
            }
            m &+= 32
        }
        while m < count {
            output.storeBytes(
                of: a.load(fromByteOffset: m, as: UInt8.self) ^ b.load(fromByteOffset: m, as: UInt8.self),
                toByteOffset: m, as: UInt8.self)
            m &+= 1
        }
    }

    /// Block 0: `output[m] = input[m] ^ input[m - unit]` for unit ≤ m < count.
    private static func encodeFirst(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, count: Int, unit: Int
    ) {
        let head = Swift.min(unit, count)
        output.copyMemory(from: input, byteCount: head)
        if count > unit { xor(input + unit, input, into: output + unit, count: count &- unit) }
    }

    /// Block 0: the running XOR `output[m] = input[m] ^ output[m - unit]`,
    /// eight bytes at a time. Within a word the prefix XOR of its units takes
    /// log2(8 / unit) shift steps; the previous word's last unit, repeated
    /// across the word, carries in.
    @inline(__always)
    private static func decodeFirst(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, count: Int, unit: Int
    ) {
        let bits = UInt64(8 &* unit)
        let repeatUnit: UInt64 = unit == 1 ? 0x0101_0101_0101_0101 : unit == 2 ? 0x0001_0001_0001_0001
            : unit == 4 ? 0x0000_0001_0000_0001 : 1
        var carry: UInt64 = 0
        var m = 0
        while m &+ 8 <= count {
            var word = ByteTranspose.load(input, m)
            if unit <= 1 { word ^= word &<< 8 }
            if unit <= 2 { word ^= word &<< 16 }
            if unit <= 4 { word ^= word &<< 32 }
            word ^= carry
            ByteTranspose.store(word, output, m)
            carry = (word &>> (64 &- bits)) &* repeatUnit
            m &+= 8
        }
        // count is a multiple of unit, so m ≥ unit whenever m > 0 here.
        while m < count {
            var byte = input.load(fromByteOffset: m, as: UInt8.self)
            if m >= unit { byte ^= output.load(fromByteOffset: m &- unit, as: UInt8.self) }
            output.storeBytes(of: byte, toByteOffset: m, as: UInt8.self)
            m &+= 1
        }
    }
}
