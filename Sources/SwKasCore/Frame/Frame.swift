/// What a chunk of a frame holds: stored bytes, or a special value implied
/// by its index entry.
enum ChunkContent {
    case stored([UInt8])
    case special(Blosc2Special)
}

/// A Blosc2 contiguous frame (spec §4): its header, metalayers, chunk index
/// and variable-length metalayers, over a file or memory.
///
/// Updates never overwrite live bytes. New chunks are appended past the
/// committed end (`append`), then `commit` writes a new index and trailer
/// after them and finally rewrites the header, whose frame length and
/// chunk-region size make the new index and trailer the live ones. The
/// header sits at the start of the file, so that last write is a single
/// `pwrite` inside the first page: a process killed at any point leaves
/// either the old frame or the new one. Replaced bytes stay as gaps, which
/// readers skip; `writeCompact` drops them.
final class Frame {
    private(set) var header: FrameHeader
    private(set) var locations: [ChunkLocation]
    private(set) var trailer: FrameTrailer
    private(set) var storage: FrameStorage
    /// A caterva sparse frame's directory: chunk k is `%08X.chunk` in it.
    let sparseDirectory: SystemPath?
    /// Where the next appended chunk goes (past the committed frame).
    private var appendPosition: Int
    /// Bytes of the committed frame that no longer hold live data (known
    /// since open), to decide when to compact.
    private(set) var garbage = 0
    /// Made by `create` and not committed yet: no reader can see it, so the
    /// header may be written in any number of pieces.
    private var isFresh = false

    private init(
        header: FrameHeader, locations: [ChunkLocation], trailer: FrameTrailer, storage: FrameStorage,
        sparseDirectory: SystemPath?
    ) {
        self.header = header
        self.locations = locations
        self.trailer = trailer
        self.storage = storage
        self.sparseDirectory = sparseDirectory
        appendPosition = header.frameLength
    }

    // MARK: Reading

    /// Reads and validates a frame's header, trailer and index.
    static func open(_ storage: FrameStorage, sparseDirectory: SystemPath? = nil) throws(SwKasError) -> Frame {
        let size = try storage.size()
        if size < 16 { throw .badFrame("shorter than a frame header") }
        let headerLength = try FrameHeader.parseLength(try storage.read(16, at: 0))
        if headerLength > size { throw .badFrame("header_len past the end") }
        let header = try FrameHeader.parse(try storage.read(headerLength, at: 0))
        if header.frameLength > size { throw .badFrame("frame_len past the end of the file") }
        if (header.frameType == 1) != (sparseDirectory != nil) { throw .badFrame("frame type") }
        let tailLength = Swift.min(header.frameLength - headerLength, 23)
        let tail = try storage.read(tailLength, at: header.frameLength - tailLength)
        let trailerLength = try FrameTrailer.length(fromTail: tail)
        let indexStart = headerLength + (sparseDirectory == nil ? Int(header.cbytes) : 0)
        guard trailerLength >= 23, trailerLength <= header.frameLength - indexStart else {
            throw .badFrame("trailer_len")
        }
        let trailerStart = header.frameLength - trailerLength
        let trailer = try FrameTrailer.parse(try storage.read(trailerLength, at: trailerStart))
        let count = header.chunkCount
        var locations: [ChunkLocation] = []
        if count > 0 {
            // The index decodes to 8 bytes per chunk, and a chunk holds at most maxNbytes.
            if count > Blosc2ChunkHeader.maxNbytes / 8 { throw .badFrame("chunk count") }
            locations = try FrameIndex.decode(try storage.read(trailerStart - indexStart, at: indexStart), count: count)
            for case .stored(let offset) in locations
            where sparseDirectory == nil ? offset >= header.cbytes : offset > 0xFFFF_FFFF {
                throw .badFrame("chunk offset outside the chunks region")
            }
        }
        return Frame(
            header: header, locations: locations, trailer: trailer, storage: storage, sparseDirectory: sparseDirectory)
    }

    /// A new, empty frame in `storage` with `header` (sizes are set by the
    /// first commit). The header is written now so appends land after it.
    static func create(_ storage: FrameStorage, header: FrameHeader) throws(SwKasError) -> Frame {
        var header = header
        header.headerLength = header.encodedLength
        header.frameLength = header.headerLength
        header.cbytes = 0
        try storage.truncate(to: 0)
        try storage.write(header.encoded(), at: 0)
        let frame = Frame(header: header, locations: [], trailer: FrameTrailer(), storage: storage, sparseDirectory: nil)
        frame.isFresh = true
        return frame
    }

    /// Chunk `index`'s bytes, or its special kind.
    func chunk(_ index: Int) throws(SwKasError) -> ChunkContent {
        guard index >= 0, index < locations.count else { throw .indexOutOfRange }
        switch locations[index] {
        case .special(let kind):
            return .special(kind)
        case .stored(let offset):
            return .stored(try storedChunk(offset: offset, regionEnd: Int(header.cbytes)))
        }
    }

    /// Where stored chunk `index` of a contiguous frame starts (absolute) and
    /// how many bytes it may span; nil for a special chunk or a sparse frame.
    func storedExtent(_ index: Int) throws(SwKasError) -> (start: Int, limit: Int)? {
        guard index >= 0, index < locations.count else { throw .indexOutOfRange }
        guard sparseDirectory == nil, case .stored(let offset) = locations[index] else { return nil }
        return (header.headerLength + offset, Int(header.cbytes) - offset)
    }

    /// Reads frame bytes at an absolute offset.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SwKasError) {
        try storage.read(into: buffer, at: offset)
    }

    private func sparseChunk(number: Int, in directory: SystemPath) throws(SwKasError) -> [UInt8] {
        var name = String(number, radix: 16, uppercase: true)
        name = String(repeating: "0", count: Swift.max(0, 8 - name.count)) + name + ".chunk"
        let file = try RandomAccessFile(opening: directory.appending(name), writable: false)
        return try file.read(try file.size(), at: 0)
    }

    /// Content of the variable-length metalayer `name` (its chunk decoded).
    func variableMetalayer(_ name: String) throws(SwKasError) -> [UInt8]? {
        guard let entry = trailer.entries.first(where: { $0.name == name }) else { return nil }
        return try Blosc2Chunk.decompress(entry.chunk)
    }

    // MARK: Updating

    /// Writes `chunk` past the committed frame and returns where it is;
    /// nothing changes for readers until `commit`.
    func append(_ chunk: UnsafeRawBufferPointer) throws(SwKasError) -> ChunkLocation {
        guard sparseDirectory == nil else { throw .illegalOperation }
        let offset = appendPosition - header.headerLength
        try storage.write(chunk, at: appendPosition)
        appendPosition += chunk.count
        return .stored(offset)
    }

    /// Forgets appended, uncommitted chunks.
    func discardAppended() {
        appendPosition = header.frameLength
    }

    /// Makes `locations`, `header` (same header length) and `trailer` the
    /// frame's state: index and trailer after the appended chunks, a sync,
    /// then the header in one write, then another sync.
    func commit(header newHeader: FrameHeader, locations newLocations: [ChunkLocation], trailer newTrailer: FrameTrailer)
        throws(SwKasError)
    {
        guard sparseDirectory == nil else { throw .illegalOperation }
        var updated = newHeader
        updated.headerLength = header.headerLength
        guard updated.encodedLength == header.headerLength else { throw .invalidArgument("metalayer sizes changed") }
        let index = newLocations.isEmpty ? [] : FrameIndex.encode(newLocations)
        let trailerBytes = newTrailer.encoded()
        let indexStart = appendPosition
        updated.cbytes = Int64(indexStart - header.headerLength)
        updated.frameLength = indexStart + index.count + trailerBytes.count
        updated.hasVariableMetalayers = !newTrailer.entries.isEmpty
        try storage.write(index + trailerBytes, at: indexStart)
        try storage.synchronize()
        let oldBytes = header.encoded()
        let newBytes = updated.encoded()
        if let changed = Self.changedRange(oldBytes, newBytes) {
            guard isFresh || changed.lowerBound / 4096 == (changed.upperBound - 1) / 4096 else {
                try replaceWithCompactCopy(header: updated, locations: newLocations, trailer: newTrailer)
                return
            }
            try storage.write(Array(newBytes[changed]), at: changed.lowerBound)
            try storage.synchronize()
        }
        storage.forgetMapping()
        if !isFresh { garbage += try releasedBytes(replacing: newLocations) }
        isFresh = false
        header = updated
        locations = newLocations
        trailer = newTrailer
        appendPosition = updated.frameLength
        if try storage.size() > updated.frameLength { try storage.truncate(to: updated.frameLength) }
    }

    /// Bytes the committed frame stops using when `newLocations` replace the
    /// current ones: the old index and trailer, and every replaced chunk.
    private func releasedBytes(replacing newLocations: [ChunkLocation]) throws(SwKasError) -> Int {
        var released = header.frameLength - header.headerLength - Int(header.cbytes)
        for (index, old) in locations.enumerated() {
            guard case .stored(let offset) = old, index >= newLocations.count || newLocations[index] != old else {
                continue
            }
            released += try storedChunkSize(offset: offset)
        }
        return released
    }

    /// The byte range where two equally long encodings differ.
    private static func changedRange(_ old: [UInt8], _ new: [UInt8]) -> Range<Int>? {
        let positions = old.indices.filter { $0 < new.count && old[$0] != new[$0] }
        guard let first = positions.first, let last = positions.last else { return nil }
        return first..<(last + 1)
    }

    /// Whether gaps have grown past the live data (and 4 MiB).
    var wantsCompaction: Bool {
        garbage > 4 << 20 && garbage > header.frameLength - garbage
    }

    // MARK: Compacting

    /// Writes the frame with `header`, `locations` and `trailer` to `target`
    /// with no gaps: chunks in index order, then the index and the trailer.
    func writeCompact(
        to target: FrameStorage, header newHeader: FrameHeader? = nil, locations newLocations: [ChunkLocation]? = nil,
        trailer newTrailer: FrameTrailer? = nil
    ) throws(SwKasError) -> Frame {
        var layout = newHeader ?? header
        layout.frameType = 0
        let sourceLocations = newLocations ?? locations
        let copy = try Frame.create(target, header: layout)
        var placed: [ChunkLocation] = []
        placed.reserveCapacity(sourceLocations.count)
        for location in sourceLocations {
            switch location {
            case .special:
                placed.append(location)
            case .stored(let offset):
                let bytes = try storedChunk(offset: offset)
                placed.append(try typedThrows { try bytes.withUnsafeBytes { try copy.append($0) } })
            }
        }
        try copy.commit(header: layout, locations: placed, trailer: newTrailer ?? trailer)
        return copy
    }

    /// A stored chunk's bytes by offset. A committed chunk must end within
    /// `regionEnd` (the chunks region); an appended one has no such bound (nil).
    private func storedChunk(offset: Int, regionEnd: Int? = nil) throws(SwKasError) -> [UInt8] {
        if let directory = sparseDirectory { return try sparseChunk(number: offset, in: directory) }
        if let regionEnd, regionEnd - offset < 16 { throw .badFrame("chunk past the chunks region") }
        let cbytes = try storedChunkSize(offset: offset)
        if let regionEnd, cbytes > regionEnd - offset { throw .badFrame("chunk past the chunks region") }
        return try storage.read(cbytes, at: header.headerLength + offset)
    }

    /// The cbytes of the chunk at `offset`, from its header.
    private func storedChunkSize(offset: Int) throws(SwKasError) -> Int {
        let head = try storage.read(16, at: header.headerLength + offset)
        return try typedThrows { try head.withUnsafeBytes { (raw) throws in try Self.chunkSize(raw, limit: Int.max) } }
    }

    /// The cbytes field of the chunk header at the start of `head` (16 bytes
    /// at least), which must be a possible size no larger than `limit`.
    static func chunkSize(_ head: UnsafeRawBufferPointer, limit: Int) throws(SwKasError) -> Int {
        guard head.count >= 16, let base = head.baseAddress else { throw .badFrame("chunk header") }
        let cbytes = Int(base.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
        guard cbytes >= 16, cbytes <= limit else { throw .badFrame("chunk past the chunks region") }
        return cbytes
    }

    /// Replaces the frame's storage with a compact copy of the given state:
    /// a new file renamed over the old path, or a new memory buffer.
    func replaceWithCompactCopy(
        header newHeader: FrameHeader? = nil, locations newLocations: [ChunkLocation]? = nil,
        trailer newTrailer: FrameTrailer? = nil
    ) throws(SwKasError) {
        let replacement: Frame
        if let fileStorage = storage as? FileFrameStorage {
            let path = fileStorage.path
            let pending = try PendingFile(for: path)
            do throws(SwKasError) {
                let target = FileFrameStorage(pending.file, durable: fileStorage.durable, path: path)
                replacement = try writeCompact(to: target, header: newHeader, locations: newLocations, trailer: newTrailer)
                try pending.publish(replacing: true, durable: fileStorage.durable)
            } catch {
                pending.abandon()
                throw error
            }
        } else {
            replacement = try writeCompact(
                to: MemoryFrameStorage(), header: newHeader, locations: newLocations, trailer: newTrailer)
        }
        header = replacement.header
        locations = replacement.locations
        trailer = replacement.trailer
        storage = replacement.storage
        appendPosition = header.frameLength
        garbage = 0
    }
}
