import CSwKas
import SwKasCore

#if canImport(Glibc)
import Glibc
#endif

/// A reader's state, or `.illegalOperation` for writers and closed stores.
private func readerState(_ store: StorePointer?) throws(SwKasError) -> (StorePointer, StoreState) {
    guard let store else { throw .nullArgument }
    guard store.pointee.mode == KAS_READ, let state = ItemTable.state(of: store) else { throw .illegalOperation }
    return (store, state)
}

/// Binary search of a reader's sorted items; a zero-length key never matches.
private func lookup(_ store: StorePointer, _ key: UnsafePointer<CChar>?, _ length: Int) -> Int? {
    guard length > 0, let key else { return nil }
    let wanted = UnsafeRawBufferPointer(start: key, count: length)
    let items = store.itemBuffer
    var low = 0
    var high = items.count
    while low < high {
        let middle = low + (high - low) / 2
        let order = KastoreKeyOrder.compare(items[middle].keyBytes, wanted)
        if order == 0 { return middle }
        if order < 0 { low = middle + 1 } else { high = middle }
    }
    return nil
}

/// Reads item `index`'s array from the stream into a new buffer (§2.2):
/// allocate, then (unless empty) seek to it and read it.
private func readArray(_ store: StorePointer, _ item: kaitem_t) throws(SwKasError) -> UnsafeMutableRawPointer {
    let size = try item.allocationSize()
    let buffer = try RawMemory.allocate(size)
    if size == 0 { return buffer }
    do throws(SwKasError) {
        guard let stream = store.pointee.file else { throw .illegalOperation }
        let offset = store.pointee.file_offset  // ftell's result: ≥ 0
        // kastore's rule: a position past LONG_MAX is an I/O error, errno untouched.
        guard UInt(bitPattern: item.array_start) <= UInt(Int.max - offset) else { throw .io(errno: errno) }
        if fseek(stream, offset + item.array_start, SEEK_SET) != 0 { throw .io(errno: errno) }
        var input = StdioInput(stream)
        try KastoreDecoder.readExactly(&input, into: UnsafeMutableRawBufferPointer(start: buffer, count: size))
    } catch {
        RawMemory.release(buffer)
        throw error
    }
    return buffer
}

/// The array of item `index` under the store's ownership rules: store-owned
/// and cached by default; a fresh caller-owned buffer under
/// KAS_GET_TAKES_OWNERSHIP (a buffer loaded at open is handed over once).
private func loadArray(_ store: StorePointer, _ state: StoreState, _ index: Int) throws(SwKasError)
    -> UnsafeMutableRawPointer
{
    let items = store.itemBuffer
    let item = items[index]
    let takesOwnership = store.pointee.flags & KAS_GET_TAKES_OWNERSHIP != 0
    if case .memory = state.source, let array = item.array {
        guard takesOwnership else { return array }
        let size = try item.allocationSize()
        let copy = try RawMemory.allocate(size)
        memcpy(copy, array, size)
        return copy
    }
    if let array = item.array {
        if takesOwnership { items[index].array = nil }
        return array
    }
    let array = try readArray(store, item)
    if !takesOwnership { items[index].array = array }
    return array
}

/// Writes the out-parameters of a get.
private func deliver(
    _ array: UnsafeMutableRawPointer, _ item: kaitem_t, _ arrayOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ lengthOut: UnsafeMutablePointer<Int>?, _ typeOut: UnsafeMutablePointer<Int32>?
) {
    arrayOut?.pointee = array
    lengthOut?.pointee = item.array_len
    typeOut?.pointee = item.type
}

@c @implementation
public func kastore_get(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ key_len: Int,
    _ array: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ array_len: UnsafeMutablePointer<Int>?,
    _ type: UnsafeMutablePointer<Int32>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        let (store, state) = try readerState(self_)
        guard let index = lookup(store, key, key_len) else { throw .keyNotFound }
        let loaded = try loadArray(store, state, index)
        deliver(loaded, store.itemBuffer[index], array, array_len, type)
        return 0
    }
}

@c @implementation
public func kastore_gets(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ array_len: UnsafeMutablePointer<Int>?,
    _ type: UnsafeMutablePointer<Int32>?
) -> Int32 {
    kastore_get(self_, key, key.map { strlen($0) } ?? 0, array, array_len, type)
}

/// A typed get: kastore_gets, then a type check (the outputs are already set).
func typedGet<T>(
    _ store: StorePointer?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?,
    _ length: UnsafeMutablePointer<Int>?, _ expected: Int32
) -> Int32 {
    var raw: UnsafeMutableRawPointer?
    var type: Int32 = -1
    let status = kastore_gets(store, key, &raw, length, &type)
    if status != 0 { return status }
    array?.pointee = raw?.assumingMemoryBound(to: T.self)
    return type == expected ? 0 : KAS_ERR_TYPE_MISMATCH
}

@c @implementation
public func kastore_contains(_ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ key_len: Int)
    -> Int32
{
    cCall { () throws(SwKasError) -> Int32 in
        let (store, _) = try readerState(self_)
        return lookup(store, key, key_len) == nil ? 0 : 1
    }
}

@c @implementation
public func kastore_containss(_ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?) -> Int32 {
    kastore_contains(self_, key, key.map { strlen($0) } ?? 0)
}

@c @implementation
public func swkas_item(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ index: Int, _ key: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ key_len: UnsafeMutablePointer<Int>?, _ type: UnsafeMutablePointer<Int32>?,
    _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let store = self_ else { throw .nullArgument }
        guard ItemTable.state(of: store) != nil else { throw .illegalOperation }
        let items = store.itemBuffer
        guard index >= 0, index < items.count else { throw .indexOutOfRange }
        let item = items[index]
        key?.pointee = UnsafePointer(item.key)
        key_len?.pointee = item.key_len
        type?.pointee = item.type
        array_len?.pointee = item.array_len
        return 0
    }
}

@c @implementation
public func swkas_get_at(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ index: Int, _ array: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ array_len: UnsafeMutablePointer<Int>?, _ type: UnsafeMutablePointer<Int32>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        let (store, state) = try readerState(self_)
        guard index >= 0, index < store.pointee.num_items else { throw .indexOutOfRange }
        let loaded = try loadArray(store, state, index)
        deliver(loaded, store.itemBuffer[index], array, array_len, type)
        return 0
    }
}

@c @implementation
public func swkas_store_size(_ header: UnsafeRawPointer?, _ size: Int, _ store_size: UnsafeMutablePointer<Int>?) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let store_size, header != nil || size == 0, size >= 0 else { throw .nullArgument }
        var input = MemoryInput(UnsafeRawBufferPointer(start: header, count: size))
        let parsed = try KastoreDecoder.readHeader(&input)
        store_size.pointee = Int(truncatingIfNeeded: parsed.fileSize)  // size_t: any u64 fits
        return 0
    }
}
