import CLZ4

/// LZ4 and LZ4HC raw blocks (no frame, no size prefix), as Blosc2 stores them.
enum LZ4Codec {
    /// `LZ4_compress_fast`; Blosc2 maps clevel to acceleration 10 - clevel.
    static func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                         acceleration: Int) -> Int? {
        run(source, destination) { LZ4_compress_fast($0, $1, $2, $3, Int32(Swift.max(acceleration, 1))) }
    }

    /// `LZ4_compress_HC` at `level` (Blosc2 passes clevel through).
    static func compressHC(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                           level: Int) -> Int? {
        run(source, destination) { LZ4_compress_HC($0, $1, $2, $3, Int32(level)) }
    }

    /// Calls an LZ4 compressor with C pointers and 32-bit sizes; nil when a
    /// size does not fit in 32 bits or the compressor returns 0 (no room).
    private static func run(
        _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableRawBufferPointer,
        _ compressor: (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>, Int32, Int32) -> Int32
    ) -> Int? {
        guard let input = source.baseAddress, let output = destination.baseAddress,
            let inputSize = Int32(exactly: source.count), let capacity = Int32(exactly: destination.count)
        else { return nil }
        let written = compressor(
            input.assumingMemoryBound(to: CChar.self), output.assumingMemoryBound(to: CChar.self), inputSize, capacity)
        return written > 0 ? Int(written) : nil
    }

    /// `LZ4_decompress_safe`, which never reads or writes out of bounds; the
    /// result must fill `destination` exactly.
    static func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer)
        throws(SwKasError)
    {
        guard let input = source.baseAddress, let output = destination.baseAddress,
            let inputSize = Int32(exactly: source.count), let capacity = Int32(exactly: destination.count)
        else { throw .chunkFormat("LZ4 stream") }
        let produced = LZ4_decompress_safe(
            input.assumingMemoryBound(to: CChar.self), output.assumingMemoryBound(to: CChar.self), inputSize,
            capacity)
        if produced != capacity { throw .chunkFormat("LZ4 stream") }
    }
}
