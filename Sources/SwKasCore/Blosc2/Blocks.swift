#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reusable C-heap scratch buffer that grows on demand.
final class Scratch {
    private(set) var base: UnsafeMutableRawPointer?
    private var capacity = 0

    deinit { RawMemory.release(base) }

    /// At least `count` bytes, valid until the next call.
    func buffer(_ count: Int) throws(SwKasError) -> UnsafeMutableRawBufferPointer {
        if count > capacity || base == nil {
            RawMemory.release(base)
            base = nil
            base = try RawMemory.allocate(count)
            capacity = count
        }
        return UnsafeMutableRawBufferPointer(start: base, count: count)
    }

    /// At least `count` bytes, keeping what the buffer held (chunk loading
    /// reads a chunk's head before it knows the chunk's size).
    func growing(_ count: Int) throws(SwKasError) -> UnsafeMutableRawPointer {
        if count > capacity || base == nil {
            base = try RawMemory.reallocate(base, Swift.max(count, 1))
            capacity = count
        }
        guard let base else { throw .noMemory }
        return base
    }
}

/// One worker's state: codec contexts and scratch for filters and streams.
final class BlockWorker {
    let codecs = CodecContext()
    let first = Scratch()
    let second = Scratch()
    /// Decoding: a whole block when only part of it is wanted.
    let streams = Scratch()
    /// Encoding: a block's streams when the output is nearly full.
    let encoded = Scratch()

    /// The most bytes `compressBlock` can write for a block: every stream
    /// stored raw behind its 4-byte size.
    static func worstCase(blockSize: Int, streams: Int) -> Int { blockSize + 5 * streams }

    /// Filters `block` (slots 0 to 5) and encodes it into `output` as
    /// `streamCount` streams (§1.3, §1.5): all-equal streams as runs, others
    /// compressed, or stored raw when compression does not shrink them.
    /// Returns the bytes written, or nil when `output` is too small.
    func compressBlock(
        _ block: UnsafeRawBufferPointer, reference: UnsafeRawBufferPointer, isFirst: Bool,
        parameters: Blosc2Parameters, streams streamCount: Int, into output: UnsafeMutableRawBufferPointer
    ) throws(SwKasError) -> Int? {
        let filtered = try Filters.forward(
            block, reference: reference, isFirst: isFirst, parameters: parameters, scratch: (first, second))
        guard let base = output.baseAddress else { return nil }
        let streamSize = block.count / streamCount
        var cursor = 0
        for index in 0..<streamCount {
            let stream = UnsafeRawBufferPointer(rebasing: filtered[(index * streamSize)..<((index + 1) * streamSize)])
            if let byte = Self.uniformByte(stream) {
                guard output.count - cursor >= 5 else { return nil }
                base.storeLittleEndian(-Int32(byte), at: cursor)
                cursor += 4
                if byte != 0 {
                    base.storeLittleEndian(UInt8(0x01), at: cursor)
                    cursor += 1
                }
                continue
            }
            guard output.count - cursor > 4 else { return nil }
            // Room one short of the stream: a result as long as the stream
            // itself would read as "raw", so it must be stored raw.
            let room = Swift.min(streamSize - 1, output.count - cursor - 4)
            if parameters.clevel > 0, room > 0,
                let length = try parameters.codec.compress(
                    stream, into: UnsafeMutableRawBufferPointer(start: base + cursor + 4, count: room),
                    level: parameters.clevel, context: codecs)
            {
                base.storeLittleEndian(Int32(length), at: cursor)
                cursor += 4 + length
            } else {
                guard output.count - cursor - 4 >= streamSize else { return nil }
                base.storeLittleEndian(Int32(streamSize), at: cursor)
                (base + cursor + 4).copyBytes(from: stream)
                cursor += 4 + streamSize
            }
        }
        return cursor
    }

    /// The byte every position of `stream` holds, or nil.
    static func uniformByte(_ stream: UnsafeRawBufferPointer) -> UInt8? {
        guard let base = stream.baseAddress, stream.count > 0 else { return nil }
        if stream.count > 1 && memcmp(base, base + 1, stream.count - 1) != 0 { return nil }
        return stream[0]
    }
}

/// Decodes the blocks of a regular (not special, not memcpyed) chunk whose
/// header has been validated. Every offset and size read from the chunk is
/// checked against cbytes before it is used.
struct BlockDecoder {
    let chunk: UnsafeRawBufferPointer
    let header: Blosc2ChunkHeader

    /// Outputs from this size up are written around the caches by the last
    /// filter step (non-temporal stores): they cannot stay cached anyway
    /// (the last-level cache is tens of MiB at most), and skipping the
    /// read-for-ownership of every line halves the memory traffic.
    static let streamingThreshold = 32 << 20

    /// Writes chunk bytes `range` to `output`, decoding only the blocks it
    /// touches (and block 0, which DELTA needs).
    func decode(_ range: Range<Int>, into output: UnsafeMutableRawPointer, threads: Int) throws(SwKasError) {
        let blocksize = header.blocksize
        let blockCount = header.blockCount
        let (table, overflow) = (4 * blockCount).addingReportingOverflow(header.headerSize)
        if overflow || table > header.cbytes { throw .chunkFormat("bstarts") }
        var reference: [UInt8] = []
        if header.filters.contains(.delta) {
            reference = [UInt8](repeating: 0, count: Swift.min(blocksize, header.nbytes))
            let worker = BlockWorker()
            try typedThrows {
                try reference.withUnsafeMutableBytes {
                    try decodeBlock(0, into: $0, worker: worker, reference: nil, streaming: false)
                }
            }
        }
        let streaming = range.count >= Self.streamingThreshold
        let firstBlock = range.lowerBound / blocksize
        let lastBlock = (range.upperBound - 1) / blocksize
        try typedThrows { try reference.withUnsafeBytes { (finalBlockZero) throws in
            let delta = finalBlockZero.isEmpty ? nil : finalBlockZero
            try Workers.run(blocks: lastBlock - firstBlock + 1, threads: threads) { (worker, offset) throws(SwKasError) in
                let block = firstBlock + offset
                let start = block * blocksize
                let size = Swift.min(blocksize, header.nbytes - start)
                let low = Swift.max(range.lowerBound, start)
                let high = Swift.min(range.upperBound, start + size)
                let target = output + (low - range.lowerBound)
                if let delta, let deltaBase = delta.baseAddress, block == 0 {
                    memcpy(target, deltaBase + (low - start), high - low)
                } else if low == start && high == start + size {
                    try decodeBlock(block, into: UnsafeMutableRawBufferPointer(start: target, count: size), worker: worker,
                                    reference: delta, streaming: streaming)
                } else {
                    let whole = try worker.streams.buffer(size)
                    try decodeBlock(block, into: whole, worker: worker, reference: delta, streaming: false)
                    if let wholeBase = whole.baseAddress { memcpy(target, wholeBase + (low - start), high - low) }
                }
            }
        } }
    }

    /// Decodes `blocks` (block numbers) to their places in `output`, which
    /// spans the whole chunk, on one `worker` the caller may keep for the next
    /// chunk. Under DELTA, block 0 is decoded too (it is every block's reference).
    func decode(blocks: [Int], into output: UnsafeMutableRawBufferPointer, worker: BlockWorker) throws(SwKasError) {
        let blocksize = header.blocksize
        let blockCount = header.blockCount
        let (table, overflow) = (4 * blockCount).addingReportingOverflow(header.headerSize)
        if overflow || table > header.cbytes { throw .chunkFormat("bstarts") }
        guard output.count >= header.nbytes, let base = output.baseAddress else { throw .bufferTooSmall }
        func place(_ block: Int) -> UnsafeMutableRawBufferPointer {
            let start = block * blocksize
            return UnsafeMutableRawBufferPointer(start: base + start, count: Swift.min(blocksize, header.nbytes - start))
        }
        var reference: UnsafeRawBufferPointer?
        if header.filters.contains(.delta) && blockCount > 0 {
            let first = place(0)
            try decodeBlock(0, into: first, worker: worker, reference: nil, streaming: false)
            reference = UnsafeRawBufferPointer(first)
        }
        for block in blocks where !(block == 0 && reference != nil) {
            guard block >= 0, block < blockCount else { throw .invalidArgument("block \(block) outside the chunk") }
            try decodeBlock(block, into: place(block), worker: worker, reference: reference, streaming: false)
        }
    }

    /// Decodes block `index` into `target` (exactly the block's size),
    /// with streaming stores in the last filter step if `streaming`.
    private func decodeBlock(
        _ index: Int, into target: UnsafeMutableRawBufferPointer, worker: BlockWorker,
        reference: UnsafeRawBufferPointer?, streaming: Bool
    ) throws(SwKasError) {
        guard let base = chunk.baseAddress else { throw .chunkFormat("empty chunk") }
        let size = target.count
        let start = Int(base.loadLittleEndian(at: header.headerSize + 4 * index, as: Int32.self))
        if start < header.headerSize + 4 * header.blockCount || start > header.cbytes {
            throw .chunkFormat("bstart of block \(index)")
        }
        let isLeftover = size < header.blocksize
        let streamCount = header.dontSplit || isLeftover ? 1 : header.typesize
        if size % streamCount != 0 { throw .chunkFormat("stream split") }
        let streamSize = size / streamCount
        let unfilters = Filters.needsBackward(header)
        let decoded = unfilters ? try worker.first.buffer(size) : target
        var cursor = start
        for stream in 0..<streamCount {
            guard let destination = decoded.baseAddress else { break }
            let into = UnsafeMutableRawBufferPointer(start: destination + stream * streamSize, count: streamSize)
            if cursor > header.cbytes - 4 { throw .chunkFormat("stream size of block \(index)") }
            let csize = Int(base.loadLittleEndian(at: cursor, as: Int32.self))
            cursor += 4
            if csize == 0 {
                memset(destination + stream * streamSize, 0, streamSize)
            } else if csize < 0 {
                if csize < -255 || cursor >= header.cbytes { throw .chunkFormat("run stream") }
                let token = base.load(fromByteOffset: cursor, as: UInt8.self)
                if token & 0x01 == 0 { throw .chunkFormat("run token") }
                memset(destination + stream * streamSize, Int32(-csize), streamSize)
                cursor += 1
            } else {
                if csize > header.cbytes - cursor { throw .chunkFormat("stream past the chunk") }
                let payload = UnsafeRawBufferPointer(start: base + cursor, count: csize)
                if csize == streamSize {
                    memcpy(destination + stream * streamSize, base + cursor, csize)
                } else {
                    try header.codec.decompress(payload, into: into, context: worker.codecs)
                }
                cursor += csize
            }
        }
        if unfilters {
            try Filters.backward(
                UnsafeRawBufferPointer(decoded), into: target, header: header, isFirst: index == 0, reference: reference,
                scratch: worker.second, streaming: streaming)
        }
    }
}
