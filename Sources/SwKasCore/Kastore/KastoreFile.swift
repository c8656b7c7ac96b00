#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a store says about one item, without its data.
public struct KastoreItemInfo: Sendable, Hashable {
    /// The key's bytes (UTF-8 for keys written from Python or Swift strings).
    public let keyBytes: [UInt8]
    /// The element type.
    public let type: KastoreType
    /// Number of elements.
    public let count: Int

    /// The key decoded as UTF-8 (invalid sequences become U+FFFD).
    public var key: String { String(decoding: keyBytes, as: UTF8.self) }
    /// Size of the array in bytes.
    public var byteCount: Int { count * type.elementSize }
}

/// A read-only kastore store, fully validated when opened.
///
/// Opened from a path, the file is memory-mapped: nothing but the header,
/// descriptors and keys is read up front, and `withUnsafeBytes(forKey:)` gives
/// zero-copy access to an array. Items are in key order; the store is a
/// random-access collection of `KastoreItemInfo`.
///
/// ```swift
/// let store = try KastoreFile(contentsOf: "example.trees")
/// for item in store { print(item.key, item.type, item.count) }
/// let times: [Double] = try store.array(forKey: "nodes/time")
/// ```
public final class KastoreFile: @unchecked Sendable {
    /// The store's bytes: a mapping, or a private copy.
    private let storage: UnsafeRawBufferPointer
    /// Keeps `storage` alive: the `MappedFile`, or the copied array.
    private let owner: AnyObject
    private let contents: KastoreContents

    /// Opens and memory-maps the store at `path`.
    public convenience init(contentsOf path: String) throws(SwKasError) {
        let mapping = try MappedFile(path: SystemPath(path))
        try self.init(storage: mapping.bytes, owner: mapping)
    }

    /// Opens a store from bytes (copied). Bytes past the store are ignored.
    public convenience init(bytes: [UInt8]) throws(SwKasError) {
        let copy = HeapBytes(bytes)
        try self.init(storage: copy.bytes, owner: copy)
    }

    private init(storage: UnsafeRawBufferPointer, owner: AnyObject) throws(SwKasError) {
        self.storage = storage
        self.owner = owner
        contents = try KastoreDecoder.readContents(memory: storage)
    }

    deinit {
        RawMemory.release(contents.keyBlock.baseAddress)
    }

    /// The file's format version.
    public var version: (major: Int, minor: Int) {
        (Int(contents.header.versionMajor), Int(contents.header.versionMinor))
    }

    /// The store's size in bytes, as its header declares.
    public var fileSize: Int { Int(contents.header.fileSize) }

    /// The keys in store order, decoded as UTF-8.
    public var keys: [String] { map(\.key) }

    /// The position of `key` (its UTF-8 bytes), or nil.
    public func index(forKey key: String) -> Int? {
        var key = key
        return key.withUTF8 { index(forKeyBytes: UnsafeRawBufferPointer($0)) }
    }

    /// The position of a key given as bytes, or nil.
    public func index(forKeyBytes key: [UInt8]) -> Int? {
        key.withUnsafeBytes { index(forKeyBytes: $0) }
    }

    private func index(forKeyBytes key: UnsafeRawBufferPointer) -> Int? {
        var low = 0
        var high = contents.descriptors.count
        while low < high {
            let middle = low + (high - low) / 2
            let order = KastoreKeyOrder.compare(contents.key(at: middle), key)
            if order == 0 { return middle }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// Whether the store has `key`.
    public func contains(_ key: String) -> Bool { index(forKey: key) != nil }

    /// The array stored under `key` (a copy), or nil.
    public subscript(key: String) -> KastoreArray? {
        index(forKey: key).map { array(at: $0) }
    }

    /// The array at `index` (a copy).
    public func array(at index: Int) -> KastoreArray {
        KastoreArray.decode(contents.descriptors[index].type, bytes(at: index))
    }

    /// The elements stored under `key` as `T`; `.keyNotFound` or `.typeMismatch`.
    public func array<T: KastoreElement>(forKey key: String, as type: T.Type = T.self) throws(SwKasError) -> [T] {
        guard let index = index(forKey: key) else { throw .keyNotFound }
        guard let values = array(at: index).values(as: T.self) else { throw .typeMismatch }
        return values
    }

    /// Calls `body` with the array bytes stored under `key`, without copying:
    /// for a mapped file, a view of the mapping, valid only inside `body`.
    public func withUnsafeBytes<R>(
        forKey key: String, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        guard let index = index(forKey: key) else { throw SwKasError.keyNotFound }
        return try body(bytes(at: index))
    }

    /// The raw little-endian bytes of item `index` inside the storage.
    private func bytes(at index: Int) -> UnsafeRawBufferPointer {
        let descriptor = contents.descriptors[index]
        let start = Int(descriptor.arrayStart)
        return UnsafeRawBufferPointer(rebasing: storage[start..<(start + Int(descriptor.byteCount))])
    }
}

extension KastoreFile {
    /// The items of the store at `path`, read as kastore's lazy open reads
    /// them: the header, descriptors and keys only (with full validation), so
    /// a store whose arrays are cut short still lists.
    public static func items(inFileAt path: String) throws(SwKasError) -> [KastoreItemInfo] {
        try withContents(ofFileAt: path) { (contents, _) throws(SwKasError) in
            contents.descriptors.indices.map { index in
                KastoreItemInfo(
                    keyBytes: Array(contents.key(at: index)), type: contents.descriptors[index].type,
                    count: Int(contents.descriptors[index].count))
            }
        }
    }

    /// The array stored under `key` in the file at `path`, read as kastore's
    /// lazy get reads it: header, descriptors and keys, then that array alone.
    /// `.keyNotFound`; `.badFileFormat` when the file ends inside the array.
    public static func array(forKey key: String, inFileAt path: String) throws(SwKasError) -> KastoreArray {
        try withContents(ofFileAt: path) { (contents, stream) throws(SwKasError) in
            let wanted = Array(key.utf8)
            guard
                let index = contents.descriptors.indices.first(where: {
                    contents.key(at: $0).elementsEqual(wanted)
                })
            else { throw .keyNotFound }
            let descriptor = contents.descriptors[index]
            guard let size = Int(exactly: descriptor.byteCount), let start = Int(exactly: descriptor.arrayStart) else {
                throw .noMemory
            }
            let buffer = try RawMemory.allocate(size)
            defer { RawMemory.release(buffer) }
            if size > 0 {
                if fseek(stream, start, SEEK_SET) != 0 { throw .io(errno: errno) }
                var input = StdioInput(stream)
                try KastoreDecoder.readExactly(&input, into: UnsafeMutableRawBufferPointer(start: buffer, count: size))
            }
            return KastoreArray.decode(descriptor.type, UnsafeRawBufferPointer(start: buffer, count: size))
        }
    }

    /// Opens `path` as a stream and reads its table of contents for `body`.
    private static func withContents<R>(
        ofFileAt path: String, _ body: (KastoreContents, UnsafeMutablePointer<FILE>) throws(SwKasError) -> R
    ) throws(SwKasError) -> R {
        guard let stream = fopen(path, "rb") else { throw .io(errno: errno) }
        defer { fclose(stream) }
        var input = StdioInput(stream)
        let contents = try KastoreDecoder.readContents(&input)
        defer { RawMemory.release(contents.keyBlock.baseAddress) }
        return try body(contents, stream)
    }
}

extension KastoreFile: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { contents.descriptors.count }

    public subscript(position: Int) -> KastoreItemInfo {
        let descriptor = contents.descriptors[position]
        return KastoreItemInfo(
            keyBytes: Array(contents.key(at: position)), type: descriptor.type, count: Int(descriptor.count))
    }
}

extension KastoreDecoder {
    /// Opens a store held in memory: the validation of a stream open, plus a
    /// check that every array lies inside `bytes` (`.truncated` otherwise).
    package static func readContents(memory bytes: UnsafeRawBufferPointer) throws(SwKasError) -> KastoreContents {
        var input = MemoryInput(bytes)
        let contents = try readContents(&input)
        if UInt64(bytes.count) < contents.header.fileSize {
            RawMemory.release(contents.keyBlock.baseAddress)
            throw .truncated
        }
        return contents
    }
}

/// A private C-heap copy of some bytes, freed with its owner.
private final class HeapBytes {
    let bytes: UnsafeRawBufferPointer

    init(_ source: [UInt8]) {
        let base = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(source.count, 1), alignment: 16)
        source.withUnsafeBytes { if let from = $0.baseAddress { base.copyMemory(from: from, byteCount: $0.count) } }
        bytes = UnsafeRawBufferPointer(start: base, count: source.count)
    }

    deinit {
        UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
    }
}
