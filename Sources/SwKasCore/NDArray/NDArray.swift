import CSystem
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How an array's chunks are compressed. The defaults are python-caterva's.
public struct ArrayCompression: Sendable, Equatable {
    public var codec: Blosc2Codec = .lz4
    public var clevel = 5
    /// Six slots, applied first to last.
    public var filters: [Blosc2Filter] = [.noFilter, .noFilter, .noFilter, .noFilter, .noFilter, .shuffle]
    public var filtersMeta: [UInt8] = [0, 0, 0, 0, 0, 0]
    /// Workers per chunk, for compression and decompression.
    public var nthreads = 1
    public var splitMode: Blosc2SplitMode = .auto

    public init() {}
}

/// What to create: geometry, item type, compression and user metalayers.
public struct ArraySpec: Sendable {
    public var shape: [Int]
    public var itemsize: Int
    /// NumPy `dtype.str`; nil means `|S<itemsize>` (raw bytes, as caterva).
    public var dtype: String?
    /// nil (or all zero) chooses them automatically.
    public var chunks: [Int]?
    public var blocks: [Int]?
    public var compression = ArrayCompression()
    /// Fixed-size user metalayers, after the `b2nd` one.
    public var metalayers: [Metalayer] = []

    public init(shape: [Int], itemsize: Int, dtype: String? = nil, chunks: [Int]? = nil, blocks: [Int]? = nil) {
        self.shape = shape
        self.itemsize = itemsize
        self.dtype = dtype
        self.chunks = chunks
        self.blocks = blocks
    }
}

/// Where an array's frame lives.
public enum ArrayLocation: Sendable {
    case memory
    /// A contiguous frame file; creating over an existing file needs `overwrite`.
    /// Without `durable`, writes skip fsync (still atomic against crashes of
    /// the process, not against power loss).
    case file(String, overwrite: Bool = false, durable: Bool = true)
}

/// Sizes of an array and its frame.
public struct ArrayStats: Sendable, Equatable {
    public var itemCount: Int
    public var nbytes: Int
    /// Uncompressed bytes of all chunks, edge padding included.
    public var frameNbytes: Int
    /// Bytes of the frame's chunks region (gaps left by updates included).
    public var cbytes: Int
    public var chunkCount: Int
    public var frameSize: Int
    public var hasB2nd: Bool
    public var hasCaterva: Bool
    public var inMemory: Bool

    /// python-blosc2's ratio: padded nbytes / cbytes.
    public var ratio: Double { cbytes > 0 ? Double(frameNbytes) / Double(cbytes) : 0 }
    /// python-caterva's ratio: nbytes / (cbytes + 32 per chunk).
    public var catervaRatio: Double {
        let denominator = cbytes + 32 * chunkCount
        return denominator > 0 ? Double(nbytes) / Double(denominator) : 0
    }
}

/// A chunked, compressed N-d array stored as a Blosc2 frame with the
/// `b2nd` metalayer (spec §4-§5), in a file or in memory.
///
/// Any number of threads may read one array at once; writes take it
/// exclusively. Writes to files are crash-safe (see `Frame`): after a kill
/// at any point the file opens with the old or the new contents of each
/// whole call.
public final class NDArray: @unchecked Sendable {
    private let lock = ReadWriteLock()
    /// Chunk buffers reused across calls.
    private let pool = WorkerPool()
    private var frame: Frame
    public private(set) var geometry: ArrayGeometry
    public let dtype: String
    public private(set) var compression: ArrayCompression
    public let readOnly: Bool

    private init(frame: Frame, geometry: ArrayGeometry, dtype: String, compression: ArrayCompression, readOnly: Bool) {
        self.frame = frame
        self.geometry = geometry
        self.dtype = dtype
        self.compression = compression
        self.readOnly = readOnly
    }

    // MARK: Creating

    /// Initial contents of a new array.
    enum Fill {
        case zeros
        case value([UInt8])
        case buffer(UnsafeRawBufferPointer)
        case array(NDArray)
    }

    /// An array whose items read as zero: every chunk is a special offset,
    /// so the frame costs bytes, not the array's size.
    public static func zeros(_ spec: ArraySpec, at location: ArrayLocation = .memory) throws(SwKasError) -> NDArray {
        try create(spec, at: location, fill: .zeros)
    }

    /// An array with every item equal to `value` (itemsize bytes), stored as
    /// repeated-value chunks.
    public static func full(_ spec: ArraySpec, value: [UInt8], at location: ArrayLocation = .memory)
        throws(SwKasError) -> NDArray
    {
        if value.count != spec.itemsize { throw .invalidArgument("fill value must be itemsize bytes") }
        return try create(spec, at: location, fill: value.allSatisfy { $0 == 0 } ? .zeros : .value(value))
    }

    /// An array holding the C-order items in `buffer` (exactly items * itemsize bytes).
    public static func fromBuffer(_ buffer: UnsafeRawBufferPointer, _ spec: ArraySpec, at location: ArrayLocation = .memory)
        throws(SwKasError) -> NDArray
    {
        try create(spec, at: location, fill: .buffer(buffer))
    }

    /// A copy with new chunks, blocks and compression (nil keeps the
    /// source's); metalayers and vlmeta are copied, and the frame is compact.
    public func copy(
        chunks: [Int]? = nil, blocks: [Int]? = nil, compression newCompression: ArrayCompression? = nil,
        at location: ArrayLocation = .memory
    ) throws(SwKasError) -> NDArray {
        var spec = ArraySpec(
            shape: geometry.shape, itemsize: geometry.itemsize, dtype: dtype, chunks: chunks ?? geometry.chunks,
            blocks: blocks ?? (chunks == nil ? geometry.blocks : nil))
        spec.compression = newCompression ?? compression
        if spec.compression.codec == .blosclz { spec.compression.codec = .lz4 }
        spec.metalayers = metalayers.filter { $0.name != "b2nd" && $0.name != "caterva" }
        return try Self.create(spec, at: location, fill: .array(self))
    }

    private static func create(_ spec: ArraySpec, at location: ArrayLocation, fill: Fill) throws(SwKasError) -> NDArray {
        let ndim = spec.shape.count
        if ndim > 15 { throw .invalidArgument("at most 15 dimensions can be written") }
        var chunks = spec.chunks ?? []
        var blocks = spec.blocks ?? []
        if chunks.allSatisfy({ $0 == 0 }) || blocks.allSatisfy({ $0 == 0 }) {
            let automatic = ArrayGeometry.automatic(shape: spec.shape, itemsize: spec.itemsize)
            if chunks.allSatisfy({ $0 == 0 }) { chunks = automatic.chunks }
            if blocks.allSatisfy({ $0 == 0 }) {
                blocks = ArrayGeometry.automatic(shape: chunks, itemsize: spec.itemsize).blocks
            }
        }
        let geometry = try ArrayGeometry(shape: spec.shape, chunks: chunks, blocks: blocks, itemsize: spec.itemsize)
        let dtype = spec.dtype ?? "|S\(spec.itemsize)"
        if let size = DType.itemsize(of: dtype), size != spec.itemsize {
            throw .invalidArgument("dtype \(dtype) does not have itemsize \(spec.itemsize)")
        }
        if dtype.utf8.count > 1 << 20 { throw .invalidArgument("dtype string too long") }
        try validate(spec.metalayers)
        let compression = spec.compression
        if compression.codec == .blosclz { throw .unsupported("compressing with BloscLZ") }
        let parameters = chunkParameters(geometry, compression)
        try parameters.validate()
        try Filters.validate(parameters, nbytes: geometry.chunkBytes)
        if spec.dtype != nil && DType.itemsize(of: dtype) == nil { throw .invalidArgument("dtype \(dtype) is not understood") }

        let meta = ArrayMetalayer(shape: geometry.shape, chunks: geometry.chunks, blocks: geometry.blocks, dtype: dtype)
        var header = frameHeader(geometry, compression)
        header.metalayers = [Metalayer(name: "b2nd", value: meta.encodedB2nd())] + spec.metalayers

        switch location {
        case .memory:
            let frame = try Frame.create(MemoryFrameStorage(), header: header)
            let array = NDArray(frame: frame, geometry: geometry, dtype: dtype, compression: compression, readOnly: false)
            try array.fill(fill, header: header)
            return array
        case .file(let name, let overwrite, let durable):
            let path = SystemPath(name)
            var existing = stat()
            let exists = lstat(path.cString, &existing) == 0
            if !overwrite && exists { throw .fileExists }
            let pending = try PendingFile(for: path)
            do throws(SwKasError) {
                let storage = FileFrameStorage(pending.file, durable: durable, path: path)
                let frame = try Frame.create(storage, header: header)
                let array = NDArray(frame: frame, geometry: geometry, dtype: dtype, compression: compression, readOnly: false)
                try array.fill(fill, header: header)
                if overwrite && exists && (existing.st_mode & S_IFMT) == S_IFDIR { try removeTree(path) }
                try pending.publish(replacing: overwrite, durable: durable)
                return array
            } catch {
                pending.abandon()
                throw error
            }
        }
    }

    /// Writes the initial chunks of a new array and commits them.
    private func fill(_ fill: Fill, header: FrameHeader) throws(SwKasError) {
        var locations = [ChunkLocation](repeating: .special(.zeros), count: geometry.chunkCount)
        var trailer = FrameTrailer()
        switch fill {
        case .zeros:
            break
        case .value(let value):
            let chunk = valueChunk(value)
            for index in locations.indices {
                locations[index] = try typedThrows { try chunk.withUnsafeBytes { try frame.append($0) } }
            }
        case .buffer(let buffer):
            if buffer.count != geometry.itemCount * geometry.itemsize { throw .invalidArgument("buffer size") }
            try stageWrite(try Selection(Selection.all(geometry), geometry: geometry), from: buffer, into: &locations)
        case .array(let source):
            for index in 0..<geometry.chunkCount {
                let coordinates = geometry.chunkCoordinates(index)
                let ranges = (0..<geometry.ndim).map { axis in
                    let valid = geometry.validRange(ofChunk: coordinates, axis: axis)
                    return StridedRange(start: valid.lowerBound, stop: valid.upperBound)
                }
                let selection = try Selection(ranges, geometry: geometry)
                let items = try source.getSlice(ranges)
                try typedThrows { try items.withUnsafeBytes { try stageWrite(selection, from: $0, into: &locations) } }
            }
            trailer = source.lock.reading { source.frame.trailer }
        }
        try frame.commit(header: header, locations: locations, trailer: trailer)
    }

    /// A repeated-value chunk (spec §1, special kind 3) of one chunk's size.
    private func valueChunk(_ value: [UInt8]) -> [UInt8] {
        let parameters = Self.chunkParameters(geometry, compression)
        let header = Blosc2ChunkHeader(
            version: 5, flags: 0x05, typesize: parameters.typesize, nbytes: geometry.chunkBytes,
            blocksize: geometry.blockBytes, cbytes: Blosc2ChunkHeader.extendedSize + value.count,
            filters: parameters.filters, filtersMeta: parameters.filtersMeta, codec: parameters.codec, special: .value,
            headerSize: Blosc2ChunkHeader.extendedSize)
        return header.encoded() + value
    }

    private static func validate(_ metalayers: [Metalayer]) throws(SwKasError) {
        if metalayers.count > 15 { throw .invalidArgument("at most 15 user metalayers") }
        var seen: Set<String> = []
        for layer in metalayers {
            let length = layer.name.utf8.count
            if length == 0 || length > 31 { throw .invalidArgument("metalayer names are 1-31 bytes") }
            if layer.name == "b2nd" || layer.name == "caterva" || !seen.insert(layer.name).inserted {
                throw .invalidArgument("metalayer name \(layer.name) is taken")
            }
            if layer.value.count > Int(Int32.max) { throw .invalidArgument("metalayer too large") }
        }
    }

    /// The Blosc2 parameters of this array's chunks.
    private static func chunkParameters(_ geometry: ArrayGeometry, _ compression: ArrayCompression) -> Blosc2Parameters {
        Blosc2Parameters(
            codec: compression.codec == .blosclz ? .lz4 : compression.codec, clevel: compression.clevel,
            typesize: geometry.itemsize <= 255 ? geometry.itemsize : 1, blocksize: geometry.blockBytes,
            filters: compression.filters, filtersMeta: compression.filtersMeta, nthreads: compression.nthreads,
            splitMode: compression.splitMode)
    }

    /// The frame header fields for an array (spec §4.1; §4.7: they must
    /// match the real chunk parameters, since c-blosc2 writes with them).
    private static func frameHeader(_ geometry: ArrayGeometry, _ compression: ArrayCompression) -> FrameHeader {
        var header = FrameHeader()
        header.codecFlags = UInt8(compression.clevel) << 4 | compression.codec.rawValue
        header.userCodec = compression.codec.rawValue
        header.otherFlags = UInt8(compression.splitMode.rawValue - 1)
        header.typesize = geometry.itemsize
        header.blocksize = geometry.blockBytes
        header.chunksize = geometry.chunkBytes
        header.nbytes = Int64(geometry.chunkCount * geometry.chunkBytes)
        header.filters = compression.filters.map(\.rawValue)
        header.filtersMeta = compression.filtersMeta
        return header
    }

    // MARK: Opening

    /// Opens a b2nd or caterva array: a frame file, or a caterva sparse
    /// directory (read-only).
    public static func open(path name: String, readOnly: Bool = false, durable: Bool = true) throws(SwKasError) -> NDArray {
        let path = SystemPath(name)
        var info = stat()
        if stat(path.cString, &info) != 0 { throw .io(errno: errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            let framePath = path.appending("chunks.b2frame")
            if stat(framePath.cString, &info) != 0 { throw .notAnArray }  // a directory, but no caterva array
            let file = try RandomAccessFile(opening: framePath, writable: false)
            let storage = FileFrameStorage(file, durable: durable, path: framePath)
            return try wrap(try Frame.open(storage, sparseDirectory: path), readOnly: true)
        }
        let file = try RandomAccessFile(opening: path, writable: !readOnly)
        return try wrap(try Frame.open(FileFrameStorage(file, durable: durable, path: path)), readOnly: readOnly)
    }

    /// Opens a frame held in memory (copied).
    public static func fromFrame(_ bytes: [UInt8]) throws(SwKasError) -> NDArray {
        try wrap(try Frame.open(MemoryFrameStorage(bytes)), readOnly: false)
    }

    /// An array over an opened frame, after the N-d checks of spec §7.1.
    private static func wrap(_ frame: Frame, readOnly: Bool) throws(SwKasError) -> NDArray {
        let header = frame.header
        let layer: ArrayMetalayer
        if let b2nd = header.metalayers.first(where: { $0.name == "b2nd" }) {
            layer = try ArrayMetalayer.parse(b2nd.value, isB2nd: true)
        } else if let caterva = header.metalayers.first(where: { $0.name == "caterva" }) {
            layer = try ArrayMetalayer.parse(caterva.value, isB2nd: false)
        } else {
            throw .notAnArray
        }
        let geometry: ArrayGeometry
        do throws(SwKasError) {
            geometry = try ArrayGeometry(shape: layer.shape, chunks: layer.chunks, blocks: layer.blocks, itemsize: header.typesize)
        } catch {
            throw .badFrame("array geometry")
        }
        if geometry.chunkCount != header.chunkCount || (geometry.chunkCount > 0 && header.chunksize != geometry.chunkBytes) {
            throw .badFrame("chunk size does not match the array's geometry")
        }
        var compression = ArrayCompression()
        guard let codec = Blosc2Codec(rawValue: header.compcode) else { throw .unsupported("codec \(header.compcode)") }
        compression.codec = codec
        compression.clevel = Swift.min(header.clevel, 9)
        var filters: [Blosc2Filter] = []
        for id in header.filters {
            guard let filter = Blosc2Filter(rawValue: id) else { throw .unsupported("filter \(id)") }
            filters.append(filter)
        }
        compression.filters = filters
        compression.filtersMeta = header.filtersMeta
        compression.splitMode = Blosc2SplitMode(rawValue: Int32(header.otherFlags & 0x03) + 1) ?? .auto
        let dtype = layer.dtype ?? "|S\(header.typesize)"
        return NDArray(frame: frame, geometry: geometry, dtype: dtype, compression: compression, readOnly: readOnly)
    }

    /// Removes an array's file, or a caterva sparse directory and its files.
    public static func remove(path name: String) throws(SwKasError) {
        let path = SystemPath(name)
        var info = stat()
        if lstat(path.cString, &info) != 0 { throw .io(errno: errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            try removeTree(path)
        } else if unlink(path.cString) != 0 {
            throw .io(errno: errno)
        }
    }

    // MARK: Reading

    /// The items selected by `ranges` (one per axis), in C order.
    public func getSlice(_ ranges: [StridedRange]) throws(SwKasError) -> [UInt8] {
        let selection = try Selection(ranges, geometry: geometry)
        var result = [UInt8](repeating: 0, count: selection.itemCount * geometry.itemsize)
        try typedThrows { try result.withUnsafeMutableBytes { try getSlice(ranges, into: $0) } }
        return result
    }

    /// The selected items as Swift values (the element's size must be the itemsize).
    public func getSlice<Element: BitwiseCopyable>(_ ranges: [StridedRange], as type: Element.Type) throws(SwKasError)
        -> [Element]
    {
        if MemoryLayout<Element>.stride != geometry.itemsize { throw .typeMismatch }
        let count = try Selection(ranges, geometry: geometry).itemCount
        return try typedThrows {
            try [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
                try getSlice(ranges, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        }
    }

    /// Writes the items selected by `ranges` into `destination` (at least
    /// their count times itemsize bytes), decoding only the blocks they touch.
    public func getSlice(_ ranges: [StridedRange], into destination: UnsafeMutableRawBufferPointer) throws(SwKasError) {
        try lock.reading { () throws(SwKasError) in
            let selection = try Selection(ranges, geometry: geometry)
            let needed = selection.itemCount * geometry.itemsize
            if needed == 0 { return }
            guard destination.count >= needed, let result = destination.baseAddress else { throw .bufferTooSmall }
            let target = UncheckedSendable(result)
            let parts = try chunkParts(selection)
            // Threads pay off only for a few MB of blocks: a small window is faster on one.
            let blockCount = parts.reduce(0) { $0 + $1.1.blocks.count }
            let threads = blockCount * geometry.blockBytes >= 2 << 20 ? compression.nthreads : 1
            // Several chunks and threads: one chunk per worker at a time; one chunk: its blocks in parallel.
            let perChunk = parts.count > 1 ? 1 : threads
            let workers = try pool.take(Swift.min(parts.count, threads / perChunk), chunkBytes: geometry.chunkBytes)
            defer { pool.give(workers) }
            try Workers.run(parts.count, workers: workers) { (worker, position) throws(SwKasError) in
                let (index, part) = parts[position]
                if try decodeChunk(index, part: part, into: worker, threads: perChunk) {
                    part.copy(
                        chunk: worker.scratch.base, result: target.value, selection: selection,
                        itemsize: geometry.itemsize, toResult: true)
                } else {
                    part.zeroResult(target.value, selection: selection, itemsize: geometry.itemsize)
                }
            }
        }
    }

    /// The chunks a selection touches, in C order, with how it meets each.
    private func chunkParts(_ selection: Selection) throws(SwKasError) -> [(Int, ChunkPart)] {
        var parts: [(Int, ChunkPart)] = []
        try forEachChunk(selection) { (index, part) throws(SwKasError) in parts.append((index, part)) }
        return parts
    }

    /// Calls `body` with each chunk a selection touches.
    private func forEachChunk(_ selection: Selection, _ body: (Int, ChunkPart) throws(SwKasError) -> Void) throws(SwKasError) {
        if selection.itemCount == 0 { return }
        let ndim = geometry.ndim
        let first = (0..<ndim).map { selection.ranges[$0].start / geometry.chunks[$0] }
        let last = (0..<ndim).map { axis in
            let range = selection.ranges[axis]
            return (range.start + (selection.counts[axis] - 1) * range.step) / geometry.chunks[axis]
        }
        var coordinates = first
        while true {
            if let part = ChunkPart(chunk: coordinates, selection: selection, geometry: geometry) {
                try body(ArrayGeometry.ravel(coordinates, geometry.chunkGrid), part)
            }
            var axis = ndim - 1
            while axis >= 0 {
                coordinates[axis] += 1
                if coordinates[axis] <= last[axis] { break }
                coordinates[axis] = first[axis]
                axis -= 1
            }
            if axis < 0 { return }
        }
    }

    /// Decodes what `part` needs of chunk `index` into `scratch` (all of it
    /// without a part); false when the chunk reads as zeros and nothing was
    /// written. `compressed` holds the chunk's bytes meanwhile.
    private func decodeChunk(_ index: Int, part: ChunkPart?, into worker: ChunkWorker, threads: Int) throws(SwKasError)
        -> Bool
    {
        let scratch = worker.scratch
        let blockCount = geometry.blockGrid.reduce(1, *)
        let blocks = part?.blocks
        let partial = blocks.map { $0.count < blockCount } ?? false
        let loaded = try frame.loadChunk(
            index, blocks: partial ? blocks : nil, blockBytes: geometry.blockBytes, blockCount: blockCount,
            into: worker.compressed)
        switch loaded {
        case .special(.nan):
            guard geometry.itemsize == 4 || geometry.itemsize == 8 else {
                throw .badFrame("NaN chunk of itemsize \(geometry.itemsize)")
            }
            Blosc2Chunk.fillPattern(
                scratch.base, 0..<scratch.count, pattern: Blosc2Chunk.nanPattern(typesize: geometry.itemsize))
            return true
        case .special:
            return false  // zeros and uninitialised chunks (index entries name no other kind)
        case .bytes(let bytes):
            let header = try Blosc2ChunkHeader.parse(bytes)
            if header.nbytes != geometry.chunkBytes { throw .badFrame("chunk \(index) size") }
            if header.special == .zeros || header.special == .uninitialized { return false }
            try decodeBlocks(bytes, header, blocks: partial ? blocks : nil, into: worker, threads: threads)
            return true
        }
    }

    /// Decodes `blocks` (all blocks when nil, or when byte ranges cannot be
    /// used) into their places in `scratch`.
    private func decodeBlocks(
        _ chunk: UnsafeRawBufferPointer, _ header: Blosc2ChunkHeader, blocks: [Int]?, into worker: ChunkWorker,
        threads: Int
    ) throws(SwKasError) {
        let blockBytes = geometry.blockBytes
        let scratch = worker.scratch
        let regular = header.special == .none && !header.isMemcpyed && header.blocksize == blockBytes
        if threads == 1 && regular {
            // One thread: the worker's block decoder and its buffers serve every chunk.
            try Blosc2Chunk.decompressBlocks(
                chunk, header, blocks: blocks ?? Array(0..<header.blockCount), into: scratch.buffer, worker: worker.blocks)
            return
        }
        guard let blocks, regular, blockBytes % header.typesize == 0 else {
            try Blosc2Chunk.decompress(chunk, into: scratch.buffer, nthreads: threads)
            return
        }
        var position = 0
        while position < blocks.count {
            var length = 1
            while position + length < blocks.count && blocks[position + length] == blocks[position] + length { length += 1 }
            let start = blocks[position] * blockBytes
            let bytes = length * blockBytes
            try Blosc2Chunk.decompressItems(
                chunk, start: start / header.typesize, count: bytes / header.typesize,
                into: UnsafeMutableRawBufferPointer(start: scratch.base + start, count: bytes), nthreads: threads)
            position += length
        }
    }

    // MARK: Writing

    /// Writes the items selected by `ranges` from `source` (C order, their
    /// count times itemsize bytes): one crash-safe commit for the whole call.
    public func setSlice(_ ranges: [StridedRange], from source: UnsafeRawBufferPointer) throws(SwKasError) {
        try modifying { () throws(SwKasError) in
            let selection = try Selection(ranges, geometry: geometry)
            if source.count < selection.itemCount * geometry.itemsize { throw .bufferTooSmall }
            var locations = frame.locations
            try stageWrite(selection, from: source, into: &locations)
            try frame.commit(header: frame.header, locations: locations, trailer: frame.trailer)
        }
    }

    /// Writes Swift values over the selected items (the element's size must be the itemsize).
    public func setSlice<Element: BitwiseCopyable>(_ ranges: [StridedRange], values: [Element]) throws(SwKasError) {
        if MemoryLayout<Element>.stride != geometry.itemsize { throw .typeMismatch }
        try typedThrows { try values.withUnsafeBytes { try setSlice(ranges, from: $0) } }
    }

    /// Appends the chunks a write changes and records their new locations.
    private func stageWrite(
        _ selection: Selection, from source: UnsafeRawBufferPointer, into locations: inout [ChunkLocation]
    ) throws(SwKasError) {
        guard let input = source.baseAddress else { return }
        let parts = try chunkParts(selection)
        let perChunk = parts.count > 1 ? 1 : compression.nthreads
        let workerCount = Swift.max(1, compression.nthreads / perChunk)
        var parameters = Self.chunkParameters(geometry, compression)
        parameters.nthreads = perChunk
        let workers = try pool.take(workerCount, chunkBytes: geometry.chunkBytes)
        defer { pool.give(workers) }
        let items = UncheckedSendable(UnsafeMutableRawPointer(mutating: input))
        // Batches of one chunk per worker: built and compressed in parallel, appended in order.
        for batchStart in stride(from: 0, to: parts.count, by: workerCount) {
            let batch = Array(parts[batchStart..<Swift.min(batchStart + workerCount, parts.count)])
            try Workers.run(batch.count, workers: workers) { (_, position) throws(SwKasError) in
                let worker = workers[position]
                let (index, part) = batch[position]
                let decoded = part.coversChunk
                    ? false : try decodeChunk(index, part: nil, into: worker, threads: perChunk)
                if !decoded && !(part.coversChunk && isUnpadded(index)) { worker.scratch.zero() }
                part.copy(
                    chunk: worker.scratch.base, result: items.value, selection: selection, itemsize: geometry.itemsize,
                    toResult: false)
                try worker.compress(parameters)
            }
            for (position, (index, _)) in batch.enumerated() { locations[index] = try append(workers[position]) }
        }
    }

    /// Whether chunk `index` has no padding: a selection covering it writes
    /// every byte of its buffer.
    private func isUnpadded(_ index: Int) -> Bool {
        let coordinates = geometry.chunkCoordinates(index)
        return (0..<geometry.ndim).allSatisfy { axis in
            geometry.validRange(ofChunk: coordinates, axis: axis).count == geometry.chunks[axis]
                && geometry.chunks[axis] % geometry.blocks[axis] == 0
        }
    }

    /// Appends a worker's compressed chunk; an all-zero chunk becomes a
    /// special offset, as c-blosc2 stores it.
    private func append(_ worker: ChunkWorker) throws(SwKasError) -> ChunkLocation {
        let chunk = worker.compressedChunk
        if chunk.count == Blosc2ChunkHeader.extendedSize && chunk[31] >> 4 == Blosc2Special.zeros.rawValue {
            return .special(.zeros)
        }
        return try frame.append(chunk)
    }

    /// Changes the shape (same number of dimensions). New items read as
    /// zero: chunks whose valid region changes are rewritten with zeros
    /// outside the items they keep.
    public func resize(_ shape: [Int]) throws(SwKasError) {
        try modifying { () throws(SwKasError) in
            if shape.count != geometry.ndim { throw .invalidArgument("resize keeps the number of dimensions") }
            let old = geometry
            let new = try ArrayGeometry(shape: shape, chunks: old.chunks, blocks: old.blocks, itemsize: old.itemsize)
            let parameters = Self.chunkParameters(new, compression)
            let reader = try ChunkWorker(chunkBytes: new.chunkBytes)
            let kept = try ChunkWorker(chunkBytes: new.chunkBytes)
            var locations = [ChunkLocation](repeating: .special(.zeros), count: new.chunkCount)
            for index in 0..<new.chunkCount {
                let coordinates = new.chunkCoordinates(index)
                guard zip(coordinates, old.chunkGrid).allSatisfy({ $0 < $1 }) else { continue }
                let oldIndex = ArrayGeometry.ravel(coordinates, old.chunkGrid)
                locations[index] = frame.locations[oldIndex]
                // A chunk whose valid region changes keeps only the items valid both
                // before and after; the rest is zeroed (another writer may have left
                // data in the padding).
                let changes = (0..<new.ndim).contains {
                    new.validRange(ofChunk: coordinates, axis: $0).count != old.validRange(ofChunk: coordinates, axis: $0).count
                }
                guard changes, try decodeChunk(oldIndex, part: nil, into: reader, threads: compression.nthreads) else { continue }
                let ranges = (0..<new.ndim).map { axis in
                    let valid = new.validRange(ofChunk: coordinates, axis: axis)
                    let kept = Swift.min(valid.count, old.validRange(ofChunk: coordinates, axis: axis).count)
                    return StridedRange(start: valid.lowerBound, stop: valid.lowerBound + kept)
                }
                let selection = try Selection(ranges, geometry: new)
                guard let part = ChunkPart(chunk: coordinates, selection: selection, geometry: new) else {
                    locations[index] = .special(.zeros)
                    continue
                }
                var box = [UInt8](repeating: 0, count: selection.itemCount * new.itemsize)
                box.withUnsafeMutableBytes { result in
                    guard let base = result.baseAddress else { return }
                    part.copy(chunk: reader.scratch.base, result: base, selection: selection, itemsize: new.itemsize, toResult: true)
                    kept.scratch.zero()
                    part.copy(chunk: kept.scratch.base, result: base, selection: selection, itemsize: new.itemsize, toResult: false)
                }
                try kept.compress(parameters)
                locations[index] = try append(kept)
            }
            var header = frame.header
            header.nbytes = Int64(new.chunkCount * new.chunkBytes)
            header.metalayers = header.metalayers.map { layer in
                guard layer.name == "b2nd" || layer.name == "caterva",
                    var meta = try? ArrayMetalayer.parse(layer.value, isB2nd: layer.name == "b2nd")
                else { return layer }
                meta.shape = shape
                let value = layer.name == "b2nd" ? meta.encodedB2nd() : meta.encodedCaterva()
                return value.count == layer.value.count ? Metalayer(name: layer.name, value: value) : layer
            }
            try frame.commit(header: header, locations: locations, trailer: frame.trailer)
            geometry = new
        }
    }

    /// Runs a modifying call exclusively, then compacts a frame whose gaps
    /// outgrew its data. A failed call leaves the frame as it was.
    private func modifying(_ body: () throws(SwKasError) -> Void) throws(SwKasError) {
        if readOnly || frame.sparseDirectory != nil { throw .illegalOperation }
        try lock.writing { () throws(SwKasError) in
            do throws(SwKasError) {
                try body()
            } catch {
                frame.discardAppended()
                throw error
            }
            if frame.wantsCompaction { try frame.replaceWithCompactCopy() }
        }
    }

    /// Sets the worker threads per chunk for later reads and writes (1-256).
    public func setThreads(_ count: Int) throws(SwKasError) {
        if !(1...256).contains(count) { throw .invalidArgument("nthreads must be 1-256") }
        lock.writing { compression.nthreads = count }
    }

    // MARK: Metadata

    /// The fixed metalayers, `b2nd` (or `caterva`) first.
    public var metalayers: [Metalayer] { lock.reading { frame.header.metalayers } }

    /// Rewrites a user metalayer in place with a value of the same size.
    public func setMetalayer(_ name: String, value: [UInt8]) throws(SwKasError) {
        try modifying { () throws(SwKasError) in
            var header = frame.header
            guard let position = header.metalayers.firstIndex(where: { $0.name == name }) else { throw .keyNotFound }
            if name == "b2nd" || name == "caterva" { throw .invalidArgument("the array's own metalayer is not writable") }
            if header.metalayers[position].value.count != value.count {
                throw .invalidArgument("a metalayer keeps its size")
            }
            header.metalayers[position].value = value
            try frame.commit(header: header, locations: frame.locations, trailer: frame.trailer)
        }
    }

    /// Names of the variable-length metalayers.
    public var vlmetaNames: [String] { lock.reading { frame.trailer.entries.map(\.name) } }

    /// Content of a variable-length metalayer, or nil.
    public func vlmeta(_ name: String) throws(SwKasError) -> [UInt8]? {
        try lock.reading { () throws(SwKasError) in try frame.variableMetalayer(name) }
    }

    /// Adds or replaces a variable-length metalayer (stored as a memcpyed chunk).
    public func setVlmeta(_ name: String, value: [UInt8]) throws(SwKasError) {
        if name.isEmpty || name.utf8.count > 31 { throw .invalidArgument("vlmeta names are 1-31 bytes") }
        var parameters = Blosc2Parameters()
        parameters.clevel = 0
        parameters.typesize = 1
        parameters.filters = [.noFilter, .noFilter, .noFilter, .noFilter, .noFilter, .noFilter]
        parameters.codec = .lz4
        let chunk = try Blosc2Chunk.compress(value, parameters: parameters)
        try modifying { () throws(SwKasError) in
            var trailer = frame.trailer
            if let position = trailer.entries.firstIndex(where: { $0.name == name }) {
                trailer.entries[position].chunk = chunk
            } else {
                trailer.entries.append((name, chunk))
            }
            try frame.commit(header: frame.header, locations: frame.locations, trailer: trailer)
        }
    }

    /// Removes a variable-length metalayer.
    public func deleteVlmeta(_ name: String) throws(SwKasError) {
        try modifying { () throws(SwKasError) in
            var trailer = frame.trailer
            guard let position = trailer.entries.firstIndex(where: { $0.name == name }) else { throw .keyNotFound }
            trailer.entries.remove(at: position)
            try frame.commit(header: frame.header, locations: frame.locations, trailer: trailer)
        }
    }

    public var stats: ArrayStats {
        lock.reading {
            let header = frame.header
            let names = header.metalayers.map(\.name)
            return ArrayStats(
                itemCount: geometry.itemCount, nbytes: geometry.itemCount * geometry.itemsize,
                frameNbytes: Int(header.nbytes), cbytes: Int(header.cbytes), chunkCount: geometry.chunkCount,
                frameSize: header.frameLength, hasB2nd: names.contains("b2nd"), hasCaterva: names.contains("caterva"),
                inMemory: frame.storage is MemoryFrameStorage)
        }
    }

    /// The whole array as a compact contiguous frame.
    public func frameBytes() throws(SwKasError) -> [UInt8] {
        try lock.reading { () throws(SwKasError) in
            let target = MemoryFrameStorage()
            _ = try frame.writeCompact(to: target)
            return target.bytes
        }
    }

    /// A summary in python-caterva's layout, with the dtype and both ratios.
    public var info: String {
        let stats = self.stats
        func tuple(_ values: [Int]) -> String {
            "(" + values.map(String.init).joined(separator: ", ") + (values.count == 1 ? ",)" : ")")
        }
        let filters = compression.filters.filter { $0 != .noFilter }.map(\.description).joined(separator: ", ")
        let rows: [(String, String)] = [
            ("Type", "NDArray"), ("Itemsize", "\(geometry.itemsize)"), ("Dtype", dtype),
            ("Shape", tuple(geometry.shape)), ("Chunks", tuple(geometry.chunks)), ("Blocks", tuple(geometry.blocks)),
            ("Comp. codec", compression.codec.description), ("Comp. level", "\(compression.clevel)"),
            ("Comp. filters", "[\(filters)]"),
            ("Ratio blosc2", Self.twoDecimals(stats.ratio) + " (python-blosc2's cratio: padded nbytes / cbytes)"),
            ("Ratio caterva", Self.twoDecimals(stats.catervaRatio) + " (python-caterva's: nbytes / (cbytes + 32 * nchunks))"),
        ]
        return rows.map { $0.0.padding(14) + ": " + $0.1 }.joined(separator: "\n") + "\n"
    }

    private static func twoDecimals(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}

private extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: Swift.max(0, width - count)) }
}

/// Removes a directory and everything in it (caterva sparse frames).
private func removeTree(_ path: SystemPath) throws(SwKasError) {
    guard let directory = opendir(path.cString) else { throw .io(errno: errno) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    closedir(directory)
    for name in names {
        let child = path.appending(name)
        var info = stat()
        if lstat(child.cString, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            try removeTree(child)
        } else if unlink(child.cString) != 0 {
            throw .io(errno: errno)
        }
    }
    if rmdir(path.cString) != 0 { throw .io(errno: errno) }
}

/// One worker's buffers for building or decoding chunks: the uncompressed
/// chunk, the compressed bytes read, and the compressed output.
final class ChunkWorker {
    let scratch: ChunkBuffer
    /// The compressed chunk being decoded.
    let compressed = Scratch()
    /// Codec contexts and filter buffers for decoding blocks one at a time.
    let blocks = BlockWorker()
    private let output: ChunkBuffer
    private var outputSize = 0

    init(chunkBytes: Int) throws(SwKasError) {
        scratch = try ChunkBuffer(chunkBytes)
        output = try ChunkBuffer(Blosc2Chunk.compressedBound(chunkBytes))
    }

    /// Compresses `scratch` into the output buffer.
    func compress(_ parameters: Blosc2Parameters) throws(SwKasError) {
        outputSize = try Blosc2Chunk.compress(UnsafeRawBufferPointer(scratch.buffer), parameters: parameters, into: output.buffer)
    }

    /// The last chunk `compress` made.
    var compressedChunk: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: output.base, count: outputSize) }
}

/// Chunk workers kept between calls, so reads reuse buffers whose pages
/// are already mapped instead of allocating a chunk's worth each time.
final class WorkerPool: @unchecked Sendable {
    private var idle: [ChunkWorker] = []
    private let lock = PthreadMutex()
    /// Idle workers kept at most.
    private static let limit = 4

    /// `count` workers for chunks of `chunkBytes`.
    func take(_ count: Int, chunkBytes: Int) throws(SwKasError) -> [ChunkWorker] {
        var taken: [ChunkWorker] = lock.withLock {
            idle.removeAll { $0.scratch.count != chunkBytes }
            let reused = Array(idle.suffix(count))
            idle.removeLast(reused.count)
            return reused
        }
        while taken.count < count { taken.append(try ChunkWorker(chunkBytes: chunkBytes)) }
        return taken
    }

    func give(_ workers: [ChunkWorker]) {
        lock.withLock { idle = Array((idle + workers).suffix(Self.limit)) }
    }
}

/// A chunk-sized scratch buffer on the C heap (huge pages from 4 MiB).
final class ChunkBuffer {
    let base: UnsafeMutableRawPointer
    let count: Int

    init(_ count: Int) throws(SwKasError) {
        base = try RawMemory.allocate(Swift.max(1, count))
        self.count = count
    }

    deinit { RawMemory.release(base) }

    var buffer: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    func zero() { memset(base, 0, count) }
}

/// A pthread reader-writer lock: many readers or one writer, and a waiting
/// writer goes before readers that arrive after it (no writer starvation).
final class ReadWriteLock: @unchecked Sendable {
    private var lock = pthread_rwlock_t()

    init() { swkas_rwlock_init_writer_preferring(&lock) }
    deinit { pthread_rwlock_destroy(&lock) }

    func reading<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_rdlock(&lock)
        defer { pthread_rwlock_unlock(&lock) }
        return try body()
    }

    func writing<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_wrlock(&lock)
        defer { pthread_rwlock_unlock(&lock) }
        return try body()
    }
}
