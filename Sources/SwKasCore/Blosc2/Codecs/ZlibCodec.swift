import CZlib

/// zlib-wrapped deflate (RFC 1950), as Blosc2's ZLIB codec stores it.
enum ZlibCodec {
    /// `compress2` at `level`.
    static func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                         level: Int) -> Int? {
        guard let input = source.baseAddress, let output = destination.baseAddress else { return nil }
        var written = uLongf(destination.count)
        let status = compress2(
            output.assumingMemoryBound(to: Bytef.self), &written, input.assumingMemoryBound(to: Bytef.self),
            uLong(source.count), Int32(level))
        return status == Z_OK ? Int(written) : nil
    }

    /// `uncompress`, which must produce exactly `destination.count` bytes.
    static func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer)
        throws(SwKasError)
    {
        guard let input = source.baseAddress, let output = destination.baseAddress else {
            throw .chunkFormat("ZLIB stream")
        }
        var produced = uLongf(destination.count)
        let status = uncompress(
            output.assumingMemoryBound(to: Bytef.self), &produced, input.assumingMemoryBound(to: Bytef.self),
            uLong(source.count))
        if status != Z_OK || produced != uLongf(destination.count) { throw .chunkFormat("ZLIB stream") }
    }
}
