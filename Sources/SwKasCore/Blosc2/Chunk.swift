import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blosc2 chunks (spec §1): compression to version 5, decompression of
/// versions 2-5, and partial decompression of an item range.
///
/// Blocks are independent, so `nthreads` workers compress or decompress them
/// in parallel; the bytes produced do not depend on the thread count.
public enum Blosc2Chunk {
    /// The largest chunk `compress` can produce for `nbytes` input bytes: a
    /// chunk that would be larger is stored memcpyed instead.
    public static func compressedBound(_ nbytes: Int) -> Int {
        nbytes + Blosc2ChunkHeader.extendedSize
    }

    /// The parsed header of `chunk`.
    public static func header(of chunk: UnsafeRawBufferPointer) throws(SwKasError) -> Blosc2ChunkHeader {
        try Blosc2ChunkHeader.parse(chunk)
    }

    // MARK: Compression

    /// Compresses `source` into `destination` (at least `compressedBound`
    /// bytes, or the exact result size) and returns the chunk's size.
    public static func compress(
        _ source: UnsafeRawBufferPointer, parameters: Blosc2Parameters,
        into destination: UnsafeMutableRawBufferPointer
    ) throws(SwKasError) -> Int {
        try parameters.validate()
        let nbytes = source.count
        if nbytes > Blosc2ChunkHeader.maxNbytes { throw .invalidArgument("more than 2^31 - 33 bytes") }
        let typesize = parameters.typesize
        let blocksize = chooseBlocksize(parameters, nbytes: nbytes)
        var header = Blosc2ChunkHeader(
            version: 5, flags: 0x05, typesize: typesize, nbytes: nbytes, blocksize: blocksize, cbytes: 0,
            filters: parameters.filters, filtersMeta: parameters.filtersMeta, codec: parameters.codec,
            special: .none, headerSize: Blosc2ChunkHeader.extendedSize)
        let split = splits(parameters, blocksize: blocksize)
        header.flags = 0x05 | parameters.codec.formatCode << 5 | (split ? 0 : 0x10)
            | (parameters.filters.contains(.delta) ? 0x08 : 0)
        try Filters.validate(parameters, nbytes: nbytes)

        if nbytes > 0 && isAllZero(source) {
            header.special = .zeros
            header.cbytes = Blosc2ChunkHeader.extendedSize
            return try emit(header.encoded(), body: nil, into: destination)
        }
        if parameters.clevel == 0 || nbytes < Blosc2ChunkHeader.extendedSize {
            return try emitMemcpyed(header, source, into: destination)
        }
        let limit = nbytes + Blosc2ChunkHeader.extendedSize  // past this, memcpyed is smaller
        guard let output = destination.baseAddress else { throw .bufferTooSmall }
        let blockCount = (nbytes + blocksize - 1) / blocksize
        let bodyStart = Blosc2ChunkHeader.extendedSize + 4 * blockCount
        let room = Swift.min(destination.count, limit)
        guard bodyStart < room,
            let total = try compressBlocks(
                source, parameters: parameters, blocksize: blocksize, split: split,
                into: UnsafeMutableRawBufferPointer(start: output, count: room), bodyStart: bodyStart)
        else {
            return try emitMemcpyed(header, source, into: destination)
        }
        header.cbytes = total
        header.encoded().withUnsafeBytes { output.copyBytes(from: $0) }
        return total
    }

    /// Compresses `source` into a new array.
    public static func compress(_ source: [UInt8], parameters: Blosc2Parameters) throws(SwKasError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: compressedBound(source.count))
        let size = try typedThrows {
            try source.withUnsafeBytes { input in
                try result.withUnsafeMutableBytes { try compress(input, parameters: parameters, into: $0) }
            }
        }
        result.removeLast(result.count - size)
        return result
    }

    /// The automatic block size, as c-blosc2 3.3 picks it (measured on
    /// python-blosc2 4.14.1): by clevel, times the typesize when blocks will
    /// be split into byte planes, and larger for the stronger codecs; then a
    /// whole number of items, at most nbytes.
    static func chooseBlocksize(_ parameters: Blosc2Parameters, nbytes: Int) -> Int {
        var size = parameters.blocksize
        if size == 0 {
            let level = Swift.max(parameters.clevel, 1) - 1
            let splitting = autoSplitCandidate(parameters) && parameters.typesize <= 16 && parameters.splitMode != .never
            if splitting {
                let perItem = [32, 32, 32, 64, 64, 64, 128, 256, 512][level] << 10
                size = Swift.min(perItem * parameters.typesize, 4 << 20)
            } else if parameters.codec == .blosclz || parameters.codec == .lz4 {
                size = [16, 32, 64, 128, 128, 256, 256, 256, 256][level] << 10
            } else {
                size = [32, 64, 128, 256, 256, 512, 512, 512, 1024][level] << 10
            }
        }
        size = Swift.min(size, nbytes)
        if size > parameters.typesize { size -= size % parameters.typesize }
        // An empty chunk still records a block size of 1, as c-blosc2 does.
        return Swift.max(size, 1)
    }

    /// Blosc2's split rule (§1.5): one stream per byte plane for full blocks.
    static func splits(_ parameters: Blosc2Parameters, blocksize: Int) -> Bool {
        let typesize = parameters.typesize
        guard typesize > 1, typesize <= 16, blocksize % typesize == 0 else { return false }
        switch parameters.splitMode {
        case .always: return true
        case .never: return false
        case .auto, .forwardCompat:
            return autoSplitCandidate(parameters) && blocksize / typesize >= 32
        }
    }

    /// The codec and filter half of Blosc2's AUTO split rule: a fast codec
    /// (BloscLZ, LZ4, or ZSTD up to clevel 5) and SHUFFLE among the filters.
    private static func autoSplitCandidate(_ parameters: Blosc2Parameters) -> Bool {
        let fastCodec = parameters.codec == .blosclz || parameters.codec == .lz4
            || (parameters.codec == .zstd && parameters.clevel <= 5)
        return fastCodec && parameters.filters.contains(.shuffle)
    }

    private static func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let words = bytes.count / 8
        while index < words {
            if bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) != 0 { return false }
            index += 1
        }
        for offset in (words * 8)..<bytes.count where bytes[offset] != 0 { return false }
        return true
    }

    private static func emit(_ header: [UInt8], body: UnsafeRawBufferPointer?, into destination: UnsafeMutableRawBufferPointer)
        throws(SwKasError) -> Int
    {
        let total = header.count + (body?.count ?? 0)
        guard destination.count >= total, let output = destination.baseAddress else { throw .bufferTooSmall }
        header.withUnsafeBytes { output.copyBytes(from: $0) }
        if let body { (output + header.count).copyBytes(from: body) }
        return total
    }

    private static func emitMemcpyed(
        _ header: Blosc2ChunkHeader, _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) throws(SwKasError) -> Int {
        var memcpyed = header
        memcpyed.flags = 0x07 | header.codec.formatCode << 5 | (header.flags & 0x18)
        memcpyed.cbytes = source.count + Blosc2ChunkHeader.extendedSize
        return try emit(memcpyed.encoded(), body: source, into: destination)
    }

    /// Compresses every block into `output` after `bodyStart`, writing the
    /// bstarts table; returns the chunk's size, or nil when it would not fit
    /// (the caller then stores the chunk memcpyed). One worker writes
    /// straight into `output`; several compress into per-block buffers that
    /// are then placed in order, so the bytes never depend on the thread count.
    private static func compressBlocks(
        _ source: UnsafeRawBufferPointer, parameters: Blosc2Parameters, blocksize: Int, split: Bool,
        into output: UnsafeMutableRawBufferPointer, bodyStart: Int
    ) throws(SwKasError) -> Int? {
        guard let base = output.baseAddress else { return nil }
        let count = (source.count + blocksize - 1) / blocksize
        let reference = UnsafeRawBufferPointer(rebasing: source[0..<Swift.min(blocksize, source.count)])
        func block(_ index: Int) -> (bytes: UnsafeRawBufferPointer, streams: Int) {
            let start = index * blocksize
            let size = Swift.min(blocksize, source.count - start)
            return (UnsafeRawBufferPointer(rebasing: source[start..<(start + size)]),
                    split && size == blocksize ? parameters.typesize : 1)
        }
        var cursor = bodyStart
        if Swift.min(parameters.nthreads, count) <= 1 {
            // Straight into the output while it can hold a block's worst
            // case; near the end, through a scratch buffer, so that the codec
            // always gets the same room as with several workers (LZ4 needs
            // slack) and the bytes stay independent of the thread count.
            let worker = BlockWorker()
            for index in 0..<count {
                let (bytes, streams) = block(index)
                let worst = BlockWorker.worstCase(blockSize: bytes.count, streams: streams)
                let direct = output.count - cursor >= worst
                let target = direct
                    ? UnsafeMutableRawBufferPointer(start: base + cursor, count: output.count - cursor)
                    : try worker.encoded.buffer(worst)
                guard let written = try worker.compressBlock(
                    bytes, reference: reference, isFirst: index == 0, parameters: parameters, streams: streams,
                    into: target)
                else { throw .generic }  // the target holds the worst case
                if !direct {
                    guard written <= output.count - cursor else { return nil }
                    (base + cursor).copyBytes(from: UnsafeRawBufferPointer(rebasing: target[0..<written]))
                }
                base.storeLittleEndian(Int32(cursor), at: Blosc2ChunkHeader.extendedSize + 4 * index)
                cursor += written
            }
            return cursor
        }
        let results = ResultSlots<BlockOutput>(count: count)
        try Workers.run(blocks: count, threads: parameters.nthreads) { (worker, index) throws(SwKasError) in
            let (bytes, streams) = block(index)
            let buffer = try BlockOutput(capacity: BlockWorker.worstCase(blockSize: bytes.count, streams: streams))
            // The buffer holds the worst case, so the block always fits.
            guard let written = try worker.compressBlock(
                bytes, reference: reference, isFirst: index == 0, parameters: parameters, streams: streams,
                into: buffer.storage)
            else { throw .generic }
            buffer.count = written
            results[index] = buffer
        }
        for (index, piece) in results.all.enumerated() {
            guard piece.count <= output.count - cursor else { return nil }
            base.storeLittleEndian(Int32(cursor), at: Blosc2ChunkHeader.extendedSize + 4 * index)
            (base + cursor).copyBytes(from: UnsafeRawBufferPointer(rebasing: piece.storage[0..<piece.count]))
            cursor += piece.count
        }
        return cursor
    }

    // MARK: Decompression

    /// Decompresses `chunk` into `destination` (at least nbytes bytes) and
    /// returns nbytes.
    @discardableResult
    public static func decompress(
        _ chunk: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, nthreads: Int = 1
    ) throws(SwKasError) -> Int {
        let header = try Blosc2ChunkHeader.parse(chunk)
        try decodeRange(chunk, header, bytes: 0..<header.nbytes, into: destination, nthreads: nthreads)
        return header.nbytes
    }

    /// Decompresses `chunk` into a new array.
    public static func decompress(_ chunk: [UInt8], nthreads: Int = 1) throws(SwKasError) -> [UInt8] {
        try typedThrows {
            try chunk.withUnsafeBytes { input in
                let header = try Blosc2ChunkHeader.parse(input)
                var result = [UInt8](repeating: 0, count: header.nbytes)
                try result.withUnsafeMutableBytes {
                    try decodeRange(input, header, bytes: 0..<header.nbytes, into: $0, nthreads: nthreads)
                }
                return result
            }
        }
    }

    /// Decompresses items `[start, start + count)` (typesize-byte items) into
    /// `destination`, decoding only the blocks they touch.
    @discardableResult
    public static func decompressItems(
        _ chunk: UnsafeRawBufferPointer, start: Int, count: Int, into destination: UnsafeMutableRawBufferPointer,
        nthreads: Int = 1
    ) throws(SwKasError) -> Int {
        let header = try Blosc2ChunkHeader.parse(chunk)
        let (first, overflow) = start.multipliedReportingOverflow(by: header.typesize)
        let (length, overflow2) = count.multipliedReportingOverflow(by: header.typesize)
        guard start >= 0, count >= 0, !overflow, !overflow2, first <= header.nbytes, length <= header.nbytes - first
        else { throw .invalidArgument("item range outside the chunk") }
        try decodeRange(chunk, header, bytes: first..<(first + length), into: destination, nthreads: nthreads)
        return length
    }

    /// Decodes `blocks` of `chunk` to their places in `destination` (the
    /// chunk's nbytes at least) on one `worker`, reused across calls.
    static func decompressBlocks(
        _ chunk: UnsafeRawBufferPointer, _ header: Blosc2ChunkHeader, blocks: [Int],
        into destination: UnsafeMutableRawBufferPointer, worker: BlockWorker
    ) throws(SwKasError) {
        guard header.special == .none, !header.isMemcpyed else {
            try decodeRange(chunk, header, bytes: 0..<header.nbytes, into: destination, nthreads: 1)
            return
        }
        try BlockDecoder(chunk: chunk, header: header).decode(blocks: blocks, into: destination, worker: worker)
    }

    /// Writes chunk bytes `range` to the start of `destination`.
    private static func decodeRange(
        _ chunk: UnsafeRawBufferPointer, _ header: Blosc2ChunkHeader, bytes range: Range<Int>,
        into destination: UnsafeMutableRawBufferPointer, nthreads: Int
    ) throws(SwKasError) {
        guard destination.count >= range.count, let output = destination.baseAddress else {
            if range.isEmpty { return }
            throw .bufferTooSmall
        }
        if range.isEmpty { return }
        guard let input = chunk.baseAddress else { throw .chunkFormat("empty chunk") }
        switch header.special {
        case .zeros, .uninitialized:
            memset(output, 0, range.count)
            return
        case .nan:
            fillPattern(output, range, pattern: nanPattern(typesize: header.typesize))
            return
        case .value:
            let value = Array(UnsafeRawBufferPointer(rebasing: chunk[header.headerSize..<header.cbytes]))
            fillPattern(output, range, pattern: value)
            return
        case .none:
            break
        }
        if header.isMemcpyed {
            memcpy(output, input + header.headerSize + range.lowerBound, range.count)
            return
        }
        try BlockDecoder(chunk: chunk, header: header).decode(range, into: output, threads: nthreads)
    }

    /// A little-endian quiet NaN of 4 or 8 bytes (special NaN chunks; the
    /// header parser admits no other typesize for them).
    static func nanPattern(typesize: Int) -> [UInt8] {
        typesize == 4 ? [0, 0, 0xC0, 0x7F] : [0, 0, 0, 0, 0, 0, 0xF8, 0x7F]
    }

    /// Fills `output` with the repeating `pattern` as seen from chunk offset `range.lowerBound`.
    static func fillPattern(_ output: UnsafeMutableRawPointer, _ range: Range<Int>, pattern: [UInt8]) {
        let period = pattern.count
        for index in 0..<range.count {
            output.storeBytes(of: pattern[(range.lowerBound + index) % period], toByteOffset: index, as: UInt8.self)
        }
    }
}

/// One compressed block: a C-heap buffer and how much of it is used.
final class BlockOutput: @unchecked Sendable {
    let storage: UnsafeMutableRawBufferPointer
    var count = 0

    init(capacity: Int) throws(SwKasError) {
        storage = UnsafeMutableRawBufferPointer(start: try RawMemory.allocate(capacity), count: capacity)
    }

    deinit { RawMemory.release(storage.baseAddress) }
}

/// One result per block, filled by workers.
final class ResultSlots<Value>: @unchecked Sendable {
    private var values: [Value?]
    private let lock = PthreadMutex()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    subscript(index: Int) -> Value? {
        get { lock.withLock { values[index] } }
        set { lock.withLock { values[index] = newValue } }
    }

    /// Every result, in block order.
    var all: [Value] { lock.withLock { values.compactMap { $0 } } }
}

/// The first error any worker reports.
final class FirstFailure: @unchecked Sendable {
    private var failure: SwKasError?
    private let lock = PthreadMutex()

    func record(_ error: SwKasError) { lock.withLock { if failure == nil { failure = error } } }

    func rethrow() throws(SwKasError) {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}

/// A value handed to worker threads that only read it, or that touch
/// disjoint parts of it (each block's own output).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A pthread mutex (SwKasCore has no Foundation).
package final class PthreadMutex: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    package init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

/// Hands out job indices 0..<count in order, one at a time.
final class JobQueue: @unchecked Sendable {
    private var next = 0
    private let count: Int
    private let lock = PthreadMutex()

    init(count: Int) { self.count = count }

    /// The next job nobody has taken, or nil when all are taken.
    func take() -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
    }
}

/// Runs a job per block on up to `threads` workers (the calling thread is
/// one of them). Each worker owns its codec context and scratch buffers and
/// takes the next block when it is done with one, so a worker that the OS
/// delays (other processes on the cores) does not hold up the others.
enum Workers {
    /// Runs a job per block on up to `threads` workers, each with its own
    /// `BlockWorker` (codec contexts and scratch buffers).
    static func run(
        blocks: Int, threads: Int, _ job: (BlockWorker, Int) throws(SwKasError) -> Void
    ) throws(SwKasError) {
        let workerCount = Swift.max(1, Swift.min(threads, blocks))
        try run(blocks, workers: (0..<workerCount).map { _ in BlockWorker() }, job)
    }

    /// Runs `job(worker, position)` for positions 0..<count, on one thread
    /// per element of `workers` (the calling thread is one of them), each
    /// thread taking the next free position.
    static func run<State>(
        _ count: Int, workers: [State], _ job: (State, Int) throws(SwKasError) -> Void
    ) throws(SwKasError) {
        let workerCount = Swift.min(workers.count, count)
        if workerCount <= 1 {
            guard let only = workers.first else {
                if count > 0 { throw .generic }  // jobs but no worker: a caller's bug
                return
            }
            for position in 0..<count { try job(only, position) }
            return
        }
        let failure = FirstFailure()
        let queue = JobQueue(count: count)
        withoutActuallyEscaping(job) { job in
            let shared = UncheckedSendable((job, workers))
            DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
                while let position = queue.take() {
                    do throws(SwKasError) { try shared.value.0(shared.value.1[worker], position) } catch {
                        failure.record(error)
                        return
                    }
                }
            }
        }
        try failure.rethrow()
    }
}
