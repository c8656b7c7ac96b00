import CSwKas
import SwKasCore

#if canImport(Glibc)
import Glibc
#endif

/// A `kastore_t*` from C.
typealias StorePointer = UnsafeMutablePointer<kastore_t>

/// The private bit kastore ORs into `flags` when it opened the FILE itself.
let ownFileFlag: Int32 = 0x4000

/// What a store needs beyond the public `kastore_t` fields. It lives in a
/// hidden header in front of the `items` array (which we always allocate), so
/// it moves with the struct and needs no global table.
final class StoreState {
    /// Where a reader's arrays come from.
    enum Source {
        /// The `FILE*` in `kastore_t.file`: lazy reads or `KAS_READ_ALL` buffers.
        case stream
        /// Bytes in memory; arrays point into them and are never freed.
        case memory(UnsafeRawBufferPointer, owner: MappedFile?)
    }

    /// Where a writer's store goes at close.
    enum Destination {
        /// The `FILE*` in `kastore_t.file` (the caller's, from `kastore_openf`).
        case stream
        /// A path, replaced atomically.
        case file(AtomicFile)
        /// Nowhere: a memory writer, serialized with `swkas_encode`.
        case none
    }

    var source: Source = .stream
    var destination: Destination = .none
    /// Slots allocated for items.
    var capacity: Int
    /// Writers: every key present, for O(1) duplicate checks.
    var keys: Set<KeyReference> = []

    init(capacity: Int) {
        self.capacity = capacity
    }
}

/// A key held by a writer (the item's private copy), hashed by content once:
/// set growth rehashes the stored value, not the bytes.
struct KeyReference: Hashable {
    let bytes: UnsafeRawBufferPointer
    let hashValue_: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        hashValue_ = hasher.finalize()
    }

    static func == (a: KeyReference, b: KeyReference) -> Bool {
        a.hashValue_ == b.hashValue_ && KastoreKeyOrder.compare(a.bytes, b.bytes) == 0
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hashValue_)
    }
}

/// The `items` allocation: `[header | kaitem_t × capacity]`, where the header
/// holds a marker and the retained `StoreState`.
enum ItemTable {
    private static let headerSize = 64
    private static let marker: UInt64 = 0x5357_4B41_5349_544D  // "SWKASITM"

    /// Allocates the table for a fresh store and attaches `state`.
    static func create(for store: StorePointer, capacity: Int, state: StoreState) throws(SwKasError) {
        let base = try allocate(nil, capacity: capacity)
        base.storeBytes(of: marker, as: UInt64.self)
        base.storeBytes(of: Unmanaged.passRetained(state).toOpaque(), toByteOffset: 8, as: UnsafeMutableRawPointer.self)
        state.capacity = capacity
        store.pointee.items = (base + headerSize).bindMemory(to: kaitem_t.self, capacity: Swift.max(capacity, 1))
    }

    /// The state of an open store, or nil for a zeroed (closed) struct.
    static func state(of store: StorePointer) -> StoreState? {
        guard let items = store.pointee.items else { return nil }
        let base = UnsafeMutableRawPointer(items) - headerSize
        guard base.load(as: UInt64.self) == marker else { return nil }
        let opaque = base.load(fromByteOffset: 8, as: UnsafeMutableRawPointer.self)
        return Unmanaged<StoreState>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// Makes room for one more item, growing geometrically.
    static func reserveOne(in store: StorePointer, state: StoreState) throws(SwKasError) {
        let count = store.pointee.num_items
        guard count >= state.capacity, let items = store.pointee.items else { return }
        let (doubled, overflow) = Swift.max(state.capacity, 8).multipliedReportingOverflow(by: 2)
        if overflow { throw .noMemory }
        let base = try allocate(UnsafeMutableRawPointer(items) - headerSize, capacity: doubled)
        state.capacity = doubled
        store.pointee.items = (base + headerSize).bindMemory(to: kaitem_t.self, capacity: doubled)
    }

    /// Frees the table and releases the state.
    static func destroy(_ store: StorePointer) {
        guard let items = store.pointee.items, state(of: store) != nil else { return }
        let base = UnsafeMutableRawPointer(items) - headerSize
        let opaque = base.load(fromByteOffset: 8, as: UnsafeMutableRawPointer.self)
        Unmanaged<StoreState>.fromOpaque(opaque).release()
        base.storeBytes(of: 0, as: UInt64.self)
        RawMemory.release(base)
        store.pointee.items = nil
    }

    private static func allocate(_ old: UnsafeMutableRawPointer?, capacity: Int) throws(SwKasError)
        -> UnsafeMutableRawPointer
    {
        let (slots, overflow) = capacity.multipliedReportingOverflow(by: MemoryLayout<kaitem_t>.stride)
        let (total, overflow2) = slots.addingReportingOverflow(headerSize)
        if overflow || overflow2 { throw .noMemory }
        return try RawMemory.reallocate(old, total)
    }
}

extension kaitem_t {
    /// The item's element type (validated when the item was created).
    var kastoreType: KastoreType { KastoreType(code: Int(type)) ?? .uint8 }
    /// Array size in bytes. `size_t` fields hold file values up to 2^64 - 1,
    /// so this is unsigned; validation (or put) guarantees it does not wrap.
    var byteCount: UInt { UInt(bitPattern: array_len) &* UInt(kastoreType.elementSize) }
    /// The array size as an allocation size, or `.noMemory` past `Int.max`.
    func allocationSize() throws(SwKasError) -> Int {
        guard let size = Int(exactly: byteCount) else { throw .noMemory }
        return size
    }
    /// The key's bytes.
    var keyBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: key, count: key_len) }
}

extension UnsafeMutablePointer where Pointee == kastore_t {
    /// The items as a buffer.
    var itemBuffer: UnsafeMutableBufferPointer<kaitem_t> {
        UnsafeMutableBufferPointer(start: pointee.items, count: pointee.items == nil ? 0 : pointee.num_items)
    }

    /// Zero-fills the struct, as kastore does on close and on a failed open.
    func zeroFill() {
        UnsafeMutableRawPointer(self).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<kastore_t>.size)
    }
}

/// A store's items in key order, as the encoder wants them; the items stay
/// where they are (writers keep insertion order until close).
struct SortedItems: KastoreItemSource {
    let items: UnsafeMutableBufferPointer<kaitem_t>
    let order: [Int]
    let entries: [KastoreEntry]

    init(_ items: UnsafeMutableBufferPointer<kaitem_t>) {
        self.items = items
        order = KastoreKeyOrder.sortedIndices(count: items.count) { items[$0].keyBytes }
        entries = order.map {
            KastoreEntry(keyLength: items[$0].key_len, type: items[$0].kastoreType, count: items[$0].array_len)
        }
    }

    func withKey(at index: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        body(items[order[index]].keyBytes)
    }

    func withArray(at index: Int, _ body: (UnsafeRawBufferPointer) throws(SwKasError) -> Void) throws(SwKasError) {
        let item = items[order[index]]
        let pointer = item.array.map { UnsafeRawPointer($0) } ?? item.borrowed_array
        try body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : try item.allocationSize()))
    }
}
