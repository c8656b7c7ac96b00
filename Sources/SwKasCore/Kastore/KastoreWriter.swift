/// Builds a kastore store from typed arrays and writes it in canonical form,
/// byte-identical to the reference kastore's output for the same items.
///
/// ```swift
/// var writer = KastoreWriter()
/// try writer.put("nodes/time", [0.0, 1.5] as [Double])
/// try writer.put("nodes/flags", [1, 0] as [UInt32])
/// try writer.write(toFile: "example.kas")   // atomic replace
/// ```
public struct KastoreWriter: Sendable {
    private var keys: [[UInt8]] = []
    private var arrays: [KastoreArray] = []
    private var positions: [[UInt8]: Int] = [:]

    public init() {}

    /// Number of items added.
    public var count: Int { keys.count }

    /// Adds `values` under `key` (its UTF-8 bytes). Throws `.emptyKey` or
    /// `.duplicateKey`, leaving the writer unchanged.
    public mutating func put<T: KastoreElement>(_ key: String, _ values: [T]) throws(SwKasError) {
        try put(keyBytes: Array(key.utf8), KastoreArray(values))
    }

    /// Adds an array under `key`.
    public mutating func put(_ key: String, _ array: KastoreArray) throws(SwKasError) {
        try put(keyBytes: Array(key.utf8), array)
    }

    /// Adds an array under a key given as bytes (any bytes but none at all).
    public mutating func put(keyBytes: [UInt8], _ array: KastoreArray) throws(SwKasError) {
        if keyBytes.isEmpty { throw .emptyKey }
        if positions[keyBytes] != nil { throw .duplicateKey }
        positions[keyBytes] = keys.count
        keys.append(keyBytes)
        arrays.append(array)
    }

    /// The store's bytes.
    public func encoded() throws(SwKasError) -> [UInt8] {
        let source = SortedItems(self)
        var output = try MemoryOutput(capacity: try KastoreEncoder.layout(source.entries).fileSize)
        try KastoreEncoder.encode(source, to: &output)
        let (base, size) = output.take()
        defer { RawMemory.release(base) }
        guard let base else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: size))
    }

    /// Writes the store to `path`, atomically replacing any file there: until
    /// the new file is complete and synced, the old one stays intact.
    public func write(toFile path: String) throws(SwKasError) {
        let file = try AtomicFile(probing: SystemPath(path))
        let source = SortedItems(self)
        try file.write { (output) throws(SwKasError) in
            var output = output
            try KastoreEncoder.encode(source, to: &output)
        }
    }

    /// The writer's items in key order, for the encoder.
    private struct SortedItems: KastoreItemSource {
        let writer: KastoreWriter
        let order: [Int]
        let entries: [KastoreEntry]

        init(_ writer: KastoreWriter) {
            self.writer = writer
            order = writer.keys.indices.sorted { a, b in
                writer.keys[a].lexicographicallyPrecedes(writer.keys[b])  // §1.5: bytes, shorter first
            }
            entries = order.map {
                KastoreEntry(keyLength: writer.keys[$0].count, type: writer.arrays[$0].type, count: writer.arrays[$0].count)
            }
        }

        func withKey(at index: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
            writer.keys[order[index]].withUnsafeBytes(body)
        }

        func withArray(
            at index: Int, _ body: (UnsafeRawBufferPointer) throws(SwKasError) -> Void
        ) throws(SwKasError) {
            var failure: SwKasError?
            writer.arrays[order[index]].withUnsafeBytes { bytes in
                do throws(SwKasError) { try body(bytes) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }
}
