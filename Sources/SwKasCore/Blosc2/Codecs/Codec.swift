/// The compressors a Blosc2 chunk can name. The raw value is the chunk's
/// compcode (byte 0x16); `formatCode` is what the flags byte records.
public enum Blosc2Codec: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case blosclz = 0
    case lz4 = 1
    case lz4hc = 2
    case zlib = 4
    case zstd = 5

    /// The codec format bits (flags bits 5-7): LZ4 and LZ4HC share one.
    var formatCode: UInt8 {
        switch self {
        case .blosclz: return 0
        case .lz4, .lz4hc: return 1
        case .zlib: return 3
        case .zstd: return 4
        }
    }

    public var description: String {
        switch self {
        case .blosclz: return "BLOSCLZ"
        case .lz4: return "LZ4"
        case .lz4hc: return "LZ4HC"
        case .zlib: return "ZLIB"
        case .zstd: return "ZSTD"
        }
    }

    /// Compresses `source` into `destination` at `level` (1-9); nil when the
    /// result would not fit (the caller then stores the bytes raw).
    func compress(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, level: Int,
        context: CodecContext
    ) throws(SwKasError) -> Int? {
        switch self {
        case .blosclz: throw .unsupported("BloscLZ compression (swkas decodes BloscLZ but writes LZ4, ZLIB or ZSTD)")
        case .lz4: return LZ4Codec.compress(source, into: destination, acceleration: 10 - level)
        case .lz4hc: return LZ4Codec.compressHC(source, into: destination, level: level)
        case .zlib: return try context.zlibCompress(source, into: destination, level: level)
        case .zstd: return try context.zstdCompress(source, into: destination, level: ZstdCodec.level(forBloscLevel: level))
        }
    }

    /// Decompresses a stream into exactly `destination.count` bytes.
    func decompress(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, context: CodecContext
    ) throws(SwKasError) {
        switch self {
        case .blosclz: try BloscLZ.decompress(source, into: destination)
        case .lz4, .lz4hc: try LZ4Codec.decompress(source, into: destination)
        case .zlib: try context.zlibDecompress(source, into: destination)
        case .zstd: try context.zstdDecompress(source, into: destination)
        }
    }
}

/// Per-thread codec state (zstd and libdeflate contexts), created lazily and
/// reused across the blocks one worker handles.
final class CodecContext {
    private var zstd = ZstdCodec.Contexts()
    private var zlib = ZlibCodec.Contexts()

    deinit {
        zstd.release()
        zlib.release()
    }

    func zlibCompress(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, level: Int
    ) throws(SwKasError) -> Int? {
        try zlib.compress(source, into: destination, level: level)
    }

    func zlibDecompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer)
        throws(SwKasError)
    {
        try zlib.decompress(source, into: destination)
    }

    func zstdCompress(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, level: Int32
    ) throws(SwKasError) -> Int? {
        try zstd.compress(source, into: destination, level: level)
    }

    func zstdDecompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer)
        throws(SwKasError)
    {
        try zstd.decompress(source, into: destination)
    }
}
