/// The BloscLZ decoder (spec §2.1). c-blosc2 writes the frame's index chunk
/// with BloscLZ, so reading any frame needs it; swkas never encodes it.
///
/// A stream is a sequence of instructions, each starting with a control byte:
/// - ctrl < 32: a literal run of ctrl + 1 bytes follows.
/// - ctrl ≥ 32: a match of `(ctrl >> 5) + 2` bytes (3...8), or, when the top
///   three bits are all set, `9 + Σe` bytes with extension bytes e read while
///   they are 255; then a distance byte `lo`, giving
///   `d = ((ctrl & 31) << 8) + lo + 1`, or for the far marker
///   (ctrl & 31 = 31, lo = 255) `d = 8192 + f` with f a big-endian u16.
/// The first control byte carries a marker in bit 5 that is masked off, so
/// a stream always starts with a literal run.
package enum BloscLZ {
    /// Decodes `source` into exactly `destination.count` bytes.
    ///
    /// Throws `.badFileFormat` when the stream is malformed: an instruction
    /// runs past the input or the output, a match reaches before the start of
    /// the output, or the output is not filled exactly. Reads and writes stay
    /// inside the two buffers, and every instruction consumes input, so any
    /// input terminates. `destination` must not overlap `source` (checked).
    package static func decompress(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) throws(SwKasError) {
        let n = source.count
        let size = destination.count
        guard n > 0, let input = source.baseAddress else {
            if size == 0 { return }
            throw .badFileFormat
        }
        guard let output = destination.baseAddress else { throw .badFileFormat }  // size 0, input not empty
        if FilterBuffers.overlap(input, n, UnsafeRawPointer(output), size) { throw .badFileFormat }
        let produced = try run(input, n, output, size)
        guard produced == size else { throw .badFileFormat }
    }

    /// The decoding loop; returns the number of bytes written. Invariants:
    /// `ip <= n` and `op <= size`, so `n - ip` and `size - op` never overflow
    /// and every read or write is checked against them first.
    @inline(__always)
    private static func run(
        _ input: UnsafeRawPointer, _ n: Int, _ output: UnsafeMutableRawPointer, _ size: Int
    ) throws(SwKasError) -> Int {
        @inline(__always) func byte(_ offset: Int) -> Int { Int(input.load(fromByteOffset: offset, as: UInt8.self)) }

        var ip = 1
        var op = 0
        var ctrl = byte(0) & 31
        while true {
            if ctrl < 32 {
                // Literal run of ctrl + 1 bytes.
                let run = ctrl &+ 1
                guard run <= n &- ip, run <= size &- op else { throw .badFileFormat }
                (output + op).copyMemory(from: input + ip, byteCount: run)
                ip &+= run
                op &+= run
                if ip == n { return op }
                ctrl = byte(ip)
                ip &+= 1
                continue
            }

            // Match.
            var length = (ctrl &>> 5) &- 1
            let high = (ctrl & 31) &<< 8
            if length == 6 {
                var extra: Int
                repeat {
                    guard n &- ip >= 2 else { throw .badFileFormat }
                    extra = byte(ip)
                    ip &+= 1
                    length &+= extra
                    // Σe ≤ 255·n cannot overflow, but a length past the output
                    // is already fatal: stop reading early.
                    guard length <= size else { throw .badFileFormat }
                } while extra == 255
            } else {
                guard n &- ip >= 2 else { throw .badFileFormat }
            }
            // At least one byte is left: the loop above kept two before each read.
            let low = byte(ip)
            ip &+= 1
            length &+= 3
            var distance: Int
            if low == 255 && high == 31 &<< 8 {
                guard n &- ip >= 2 else { throw .badFileFormat }
                distance = (byte(ip) &<< 8 | byte(ip &+ 1)) &+ 8192
                ip &+= 2
            } else {
                distance = high &+ low &+ 1
            }
            guard length <= size &- op, distance <= op else { throw .badFileFormat }
            // Quirk: a match that ends the input is not performed.
            if ip == n { return op }
            ctrl = byte(ip)
            ip &+= 1
            copyMatch(output, at: op, distance: distance, length: length)
            op &+= length
        }
    }

    /// Copies `length` bytes from `op - distance` to `op`, byte by byte in
    /// effect, so an overlapping source repeats its pattern (distance 1
    /// repeats one byte). The caller checked `distance <= op` and
    /// `op + length <= size`.
    @inline(__always)
    private static func copyMatch(_ output: UnsafeMutableRawPointer, at op: Int, distance: Int, length: Int) {
        let from = op &- distance
        if distance >= length {
            (output + op).copyMemory(from: UnsafeRawPointer(output + from), byteCount: length)
        } else if distance >= 8 {
            // Eight-byte steps never read bytes this copy has not written yet.
            var k = 0
            while k &+ 8 <= length {
                let word = output.loadUnaligned(fromByteOffset: from &+ k, as: UInt64.self)
                output.storeBytes(of: word, toByteOffset: op &+ k, as: UInt64.self)
                k &+= 8
            }
            while k < length {
                output.storeBytes(
                    of: output.load(fromByteOffset: from &+ k, as: UInt8.self), toByteOffset: op &+ k, as: UInt8.self)
                k &+= 1
            }
        } else {
            var k = 0
            while k < length {
                output.storeBytes(
                    of: output.load(fromByteOffset: from &+ k, as: UInt8.self), toByteOffset: op &+ k, as: UInt8.self)
                k &+= 1
            }
        }
    }
}
