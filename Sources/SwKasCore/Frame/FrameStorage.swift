import CSystem

/// Where a frame's bytes live: a file or memory. Reads may run on several
/// threads at once; writes are serialized by the owner.
protocol FrameStorage: AnyObject {
    /// Fills `buffer` from `offset` (`.truncated` past the end).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SwKasError)
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SwKasError)
    /// Current size in bytes.
    func size() throws(SwKasError) -> Int
    func truncate(to length: Int) throws(SwKasError)
    /// Orders earlier writes before later ones on stable storage (no-op in memory).
    func synchronize() throws(SwKasError)
    /// The first `length` bytes for zero-copy reading, when the storage can
    /// map them; valid until `forgetMapping`.
    func mapped(length: Int) -> UnsafeRawBufferPointer?
    /// Drops a mapping after the frame changed (called with no reader active).
    func forgetMapping()
}

extension FrameStorage {
    func read(_ count: Int, at offset: Int) throws(SwKasError) -> [UInt8] {
        guard count >= 0, offset >= 0 else { throw .badFrame("negative offset or size") }
        var bytes = [UInt8](repeating: 0, count: count)
        try typedThrows { try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) } }
        return bytes
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(SwKasError) {
        try typedThrows { try bytes.withUnsafeBytes { try write($0, at: offset) } }
    }
}

/// A frame file, read and written in place; `durable` decides whether
/// `synchronize` reaches the disk.
final class FileFrameStorage: FrameStorage {
    let file: RandomAccessFile
    let durable: Bool
    /// The file's path, for replacing it with a compacted copy.
    let path: SystemPath
    /// A read-only mapping of the committed frame, made on first use.
    private var mapping: MappedFile?
    private let mappingLock = PthreadMutex()

    init(_ file: RandomAccessFile, durable: Bool, path: SystemPath) {
        self.file = file
        self.durable = durable
        self.path = path
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SwKasError) {
        try file.read(into: buffer, at: offset)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SwKasError) {
        try file.write(bytes, at: offset)
        // Start writing back now so the commit's fsync has little left to do
        // (a hint: failure costs only speed).
        if durable && bytes.count >= 1 << 20 { _ = swkas_start_writeback(file.fd, Int64(offset), Int64(bytes.count)) }
    }

    func size() throws(SwKasError) -> Int { try file.size() }
    func truncate(to length: Int) throws(SwKasError) { try file.truncate(to: length) }
    func synchronize() throws(SwKasError) { if durable { try file.synchronize() } }

    func mapped(length: Int) -> UnsafeRawBufferPointer? {
        mappingLock.withLock {
            // Frames up to 1 GiB are mapped whole up front (pages already in the page
            // cache cost one call instead of a fault each); larger ones fault on demand.
            if mapping == nil { mapping = try? MappedFile(fd: file.fd, length: length, populate: length <= 1 << 30) }
            guard let bytes = mapping?.bytes, bytes.count >= length else { return nil }
            return bytes
        }
    }

    func forgetMapping() { mappingLock.withLock { mapping = nil } }
}

/// A frame held in memory.
final class MemoryFrameStorage: FrameStorage {
    private(set) var bytes: [UInt8]

    init(_ bytes: [UInt8] = []) {
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SwKasError) {
        guard offset >= 0, buffer.count <= bytes.count, offset <= bytes.count - buffer.count else { throw .truncated }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + buffer.count)]))
        }
    }

    func write(_ source: UnsafeRawBufferPointer, at offset: Int) throws(SwKasError) {
        guard offset >= 0 else { throw .invalidArgument("negative offset") }
        let (end, overflow) = offset.addingReportingOverflow(source.count)
        if overflow { throw .noMemory }
        if end > bytes.count { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
        bytes.withUnsafeMutableBytes { target in
            UnsafeMutableRawBufferPointer(rebasing: target[offset..<end]).copyMemory(from: source)
        }
    }

    func size() throws(SwKasError) -> Int { bytes.count }

    func truncate(to length: Int) throws(SwKasError) {
        if length < bytes.count { bytes.removeLast(bytes.count - length) }
    }

    func synchronize() throws(SwKasError) {}
    func mapped(length: Int) -> UnsafeRawBufferPointer? { nil }
    func forgetMapping() {}
}
