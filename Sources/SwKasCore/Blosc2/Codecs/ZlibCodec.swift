import CDeflate

/// zlib-wrapped deflate (RFC 1950), as Blosc2's ZLIB codec stores it,
/// through libdeflate (whole-buffer, so each stream is one call).
enum ZlibCodec {
    /// libdeflate stores inputs of up to 55 − 4·level bytes without trying
    /// to compress them, where zlib would compress; shorter streams therefore
    /// use level 9, which stores only up to 19 bytes.
    static let shortStream = 56
    static let shortStreamLevel = 9

    /// Compressors (one for the chunk's level, one for short streams) and a
    /// decompressor, made on first use.
    struct Contexts {
        private var compressor: OpaquePointer?
        private var compressorLevel = 0
        private var shortCompressor: OpaquePointer?
        private var decompressor: OpaquePointer?

        /// `libdeflate_zlib_compress` at `level` (Blosc2 passes clevel 1-9
        /// through unchanged); nil when the result does not fit.
        mutating func compress(
            _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, level: Int
        ) throws(SwKasError) -> Int? {
            let chosen: OpaquePointer?
            if source.count < ZlibCodec.shortStream && level < ZlibCodec.shortStreamLevel {
                if shortCompressor == nil { shortCompressor = libdeflate_alloc_compressor(Int32(ZlibCodec.shortStreamLevel)) }
                chosen = shortCompressor
            } else {
                if compressor == nil || compressorLevel != level {
                    if let compressor { libdeflate_free_compressor(compressor) }
                    compressor = Int32(exactly: level).flatMap { libdeflate_alloc_compressor($0) }
                    compressorLevel = level
                }
                chosen = compressor
            }
            guard let chosen else { throw .noMemory }
            guard let input = source.baseAddress, let output = destination.baseAddress else { return nil }
            let written = libdeflate_zlib_compress(chosen, input, source.count, output, destination.count)
            return written == 0 ? nil : written
        }

        /// `libdeflate_zlib_decompress`, which must produce exactly
        /// `destination.count` bytes.
        mutating func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer)
            throws(SwKasError)
        {
            if decompressor == nil { decompressor = libdeflate_alloc_decompressor() }
            guard let decompressor else { throw .noMemory }
            guard let input = source.baseAddress, let output = destination.baseAddress else {
                throw .chunkFormat("ZLIB stream")
            }
            // A nil actual-size pointer makes any other output size an error.
            let status = libdeflate_zlib_decompress(
                decompressor, input, source.count, output, destination.count, nil)
            if status != LIBDEFLATE_SUCCESS { throw .chunkFormat("ZLIB stream") }
        }

        mutating func release() {
            if let compressor { libdeflate_free_compressor(compressor) }
            if let shortCompressor { libdeflate_free_compressor(shortCompressor) }
            if let decompressor { libdeflate_free_decompressor(decompressor) }
            compressor = nil
            shortCompressor = nil
            decompressor = nil
        }
    }
}
