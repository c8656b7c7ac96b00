/// Blosc2's TRUNC_PREC filter (spec §3.4): zeroes low mantissa bits of 4- or
/// 8-byte floats so the codec finds more repetition. Lossy, so it has no
/// inverse: decoders skip it.
///
/// The slot's meta is a signed byte p. With M the mantissa width (23 or 52),
/// p > 0 keeps p mantissa bits (zeroes `z = M - p`), p < 0 zeroes `z = -p`
/// bits; valid iff `|p| <= M` and `z < M`, so p = 0 is an error. Each
/// element's little-endian integer bits are ANDed with `~((1 << z) - 1)`;
/// bytes past the last whole element are copied unchanged.
package enum TruncPrec {
    /// The number of low bits `meta` clears in elements of `typesize` bytes.
    /// Throws `.badFileFormat` for a typesize other than 4 or 8 and for an
    /// invalid precision.
    package static func zeroedBits(typesize: Int, meta: UInt8) throws(SwKasError) -> Int {
        let mantissa: Int
        switch typesize {
        case 4: mantissa = 23
        case 8: mantissa = 52
        default: throw .invalidArgument("TRUNC_PREC needs typesize 4 or 8")
        }
        let p = Int(Int8(bitPattern: meta))
        let z = p >= 0 ? mantissa - p : -p
        guard p != 0, p.magnitude <= mantissa, z < mantissa else {
            throw .invalidArgument("TRUNC_PREC precision \(p) for a \(mantissa)-bit mantissa")
        }
        return z
    }

    /// Truncates `source` into `destination`.
    ///
    /// - Precondition (checked, throws `.badFileFormat`): the buffers have the
    ///   same size and do not overlap; `typesize` and `meta` are valid.
    package static func forward(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, typesize: Int,
        meta: UInt8
    ) throws(SwKasError) {
        let z = try zeroedBits(typesize: typesize, meta: meta)
        guard let (input, output) = try FilterBuffers.check(source, destination) else { return }
        let count = source.count
        let end = count - count % typesize
        if typesize == 4 {
            mask(input, output, end: end, keep: ~((UInt32(1) &<< UInt32(z)) &- 1))
        } else {
            mask(input, output, end: end, keep: ~((UInt64(1) &<< UInt64(z)) &- 1))
        }
        ByteTranspose.copyTail(input, output, from: end, count: count)
    }

    /// `output = input & keep`, element by element, for `end` bytes (a
    /// multiple of the element size, ≤ the buffers' size).
    @inline(__always)
    private static func mask<T: FixedWidthInteger & UnsignedInteger>(
        _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, end: Int, keep: T
    ) {
        let size = MemoryLayout<T>.size
        var offset = 0
        while offset < end {
            let value = T(littleEndian: input.loadUnaligned(fromByteOffset: offset, as: T.self))
            output.storeBytes(of: (value & keep).littleEndian, toByteOffset: offset, as: T.self)
            offset &+= size
        }
    }
}
