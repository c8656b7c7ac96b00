import CZstd

/// Zstandard frames, with Blosc2's level mapping.
enum ZstdCodec {
    /// Blosc2's mapping: 2·clevel − 1 for clevel 1-8, 22 for 9.
    static func level(forBloscLevel clevel: Int) -> Int32 {
        clevel >= 9 ? 22 : Int32(2 * clevel - 1)
    }

    /// A compression and a decompression context, made on first use.
    struct Contexts {
        private var compressor: OpaquePointer?
        private var decompressor: OpaquePointer?

        mutating func compress(
            _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, level: Int32
        ) throws(SwKasError) -> Int? {
            if compressor == nil { compressor = ZSTD_createCCtx() }
            guard let compressor, let input = source.baseAddress, let output = destination.baseAddress else {
                throw .noMemory
            }
            let written = ZSTD_compressCCtx(compressor, output, destination.count, input, source.count, level)
            return ZSTD_isError(written) != 0 ? nil : written
        }

        mutating func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer)
            throws(SwKasError)
        {
            if decompressor == nil { decompressor = ZSTD_createDCtx() }
            guard let decompressor else { throw .noMemory }
            guard let input = source.baseAddress, let output = destination.baseAddress else {
                throw .chunkFormat("ZSTD stream")
            }
            let produced = ZSTD_decompressDCtx(decompressor, output, destination.count, input, source.count)
            if ZSTD_isError(produced) != 0 || produced != destination.count { throw .chunkFormat("ZSTD stream") }
        }

        mutating func release() {
            if let compressor { ZSTD_freeCCtx(compressor) }
            if let decompressor { ZSTD_freeDCtx(decompressor) }
            compressor = nil
            decompressor = nil
        }
    }
}
