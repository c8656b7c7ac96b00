#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A chunk as read for decoding: its bytes (possibly only the header, the
/// block table and the streams of the blocks asked for), or a special kind.
enum LoadedChunk {
    case bytes(UnsafeRawBufferPointer)
    case special(Blosc2Special)
}

extension Frame {
    /// Chunk `index` for decoding: a view of the file's mapping when there is
    /// one (valid while the caller holds the array's read lock), else read
    /// into `buffer`. With `blocks`, a chunk whose block
    /// table allows it is read only partly: its header, the table and the
    /// streams of those blocks (and of block 0 under DELTA), which is what
    /// a small window needs. The bytes left unread are never decoded.
    func loadChunk(_ index: Int, blocks: [Int]?, blockBytes: Int, blockCount: Int, into buffer: Scratch)
        throws(SwKasError) -> LoadedChunk
    {
        guard let (start, limit) = try storedExtent(index) else {
            switch try chunk(index) {
            case .special(let kind):
                return .special(kind)
            case .stored(let bytes):
                let base = try buffer.growing(bytes.count)
                bytes.withUnsafeBytes { if let source = $0.baseAddress { base.copyMemory(from: source, byteCount: bytes.count) } }
                return .bytes(UnsafeRawBufferPointer(start: base, count: bytes.count))
            }
        }
        guard limit >= 16 else { throw .badFrame("chunk past the chunks region") }
        if let frameBytes = storage.mapped(length: header.frameLength), let base = frameBytes.baseAddress {
            // Zero-copy: the chunk is read where it lies, touching only the pages decoded.
            let cbytes = try Self.chunkSize(UnsafeRawBufferPointer(start: base + start, count: 16), limit: limit)
            return .bytes(UnsafeRawBufferPointer(start: base + start, count: cbytes))
        }
        let first = Swift.min(limit, 32 + 4 * blockCount)
        var base = try buffer.growing(first)
        try read(into: UnsafeMutableRawBufferPointer(start: base, count: first), at: start)
        let cbytes = try Self.chunkSize(UnsafeRawBufferPointer(start: base, count: first), limit: limit)
        base = try buffer.growing(cbytes)
        let chunk = UnsafeRawBufferPointer(start: base, count: cbytes)
        /// Reads chunk bytes [low, high) not loaded yet.
        func readRange(_ low: Int, _ high: Int) throws(SwKasError) {
            let from = Swift.max(low, first)
            if from < high {
                try read(into: UnsafeMutableRawBufferPointer(start: base + from, count: high - from), at: start + from)
            }
        }
        guard let blocks, let ranges = Self.blockRanges(chunk, blocks: blocks, blockBytes: blockBytes, known: first) else {
            try readRange(first, cbytes)
            return .bytes(chunk)
        }
        for range in ranges { try readRange(range.lowerBound, range.upperBound) }
        return .bytes(chunk)
    }

    /// The byte ranges to read for `blocks` of a regular version 3-5 chunk
    /// whose first `known` bytes (header and block table) are loaded; nil
    /// when the whole chunk should be read.
    private static func blockRanges(
        _ chunk: UnsafeRawBufferPointer, blocks: [Int], blockBytes: Int, known: Int
    ) -> [Range<Int>]? {
        guard let base = chunk.baseAddress, known >= 32, chunk.count >= 32 else { return nil }
        let flags = chunk[2]
        let extended = flags & 0x05 == 0x05
        let memcpyed = flags & 0x02 != 0
        let special = chunk[31] >> 4 & 0x07
        let nbytes = Int(base.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian)
        let blocksize = Int(base.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
        let typesize = Int(chunk[3])
        guard extended, !memcpyed, special == 0, blocksize == blockBytes, blocksize > 0, nbytes > 0, typesize > 0,
            blocksize % typesize == 0
        else { return nil }
        let blockCount = (nbytes + blocksize - 1) / blocksize
        let tableEnd = 32 + 4 * blockCount
        guard tableEnd <= known, tableEnd <= chunk.count, blocks.allSatisfy({ $0 >= 0 && $0 < blockCount }) else { return nil }
        let usesDelta = (16..<22).contains { chunk[$0] == Blosc2Filter.delta.rawValue }
        var wanted = Set(blocks)
        if usesDelta { wanted.insert(0) }
        let starts = (0..<blockCount).map { Int(base.loadUnaligned(fromByteOffset: 32 + 4 * $0, as: UInt32.self).littleEndian) }
        let ordered = Array(Set(starts + [chunk.count])).sorted()
        var ranges: [Range<Int>] = []
        for block in wanted.sorted() {
            let begin = starts[block]
            guard begin >= tableEnd, begin <= chunk.count, let position = ordered.firstIndex(of: begin) else { return nil }
            let end = position + 1 < ordered.count ? ordered[position + 1] : chunk.count
            if let last = ranges.last, last.upperBound == begin {
                ranges[ranges.count - 1] = last.lowerBound..<end
            } else {
                ranges.append(begin..<end)
            }
        }
        return ranges
    }
}
