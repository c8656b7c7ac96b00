import CSwKas
import SwKasCore

#if canImport(Glibc)
import Glibc
#endif

/// Adds an item to a writer: copies the key, rejects duplicates in O(1) and
/// appends to `items` (grown geometrically). `array` becomes the store's; a
/// borrowed array is kept as `borrowed_array`. Throws with nothing changed.
func insertItem(
    _ store: StorePointer, state: StoreState, key: UnsafeRawBufferPointer, type: Int32, count: Int,
    array: UnsafeMutableRawPointer?, borrowed: UnsafeRawPointer?
) throws(SwKasError) {
    if store.pointee.num_items >= Int(UInt32.max) { throw .noMemory }  // the format's u32 count
    let keyCopy = try RawMemory.allocate(key.count)
    if let source = key.baseAddress { memcpy(keyCopy, source, key.count) }
    let reference = KeyReference(UnsafeRawBufferPointer(start: keyCopy, count: key.count))
    do throws(SwKasError) {
        try ItemTable.reserveOne(in: store, state: state)  // spare capacity changes nothing visible
        if !state.keys.insert(reference).inserted { throw .duplicateKey }
    } catch {
        RawMemory.release(keyCopy)
        throw error
    }
    guard let items = store.pointee.items else { return }
    (items + store.pointee.num_items).initialize(
        to: kaitem_t(
            type: type, key_len: key.count, array_len: count, key: keyCopy.assumingMemoryBound(to: CChar.self),
            borrowed_array: borrowed, array: array, key_start: 0, array_start: 0))
    store.pointee.num_items += 1
}

/// A writer's state, or `.illegalOperation`.
private func writerState(_ store: StorePointer) throws(SwKasError) -> StoreState {
    guard store.pointee.mode == KAS_WRITE, let state = ItemTable.state(of: store) else { throw .illegalOperation }
    return state
}

/// Bytes of `count` elements of `type`; `.generic` for a NULL array with
/// elements (the reference would crash), `.noMemory` when it overflows.
private func checkedByteCount(_ array: UnsafeRawPointer?, _ count: Int, _ type: KastoreType) throws(SwKasError) -> Int {
    if array == nil && count > 0 { throw .generic }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: type.elementSize)
    if overflow || count < 0 { throw .noMemory }
    return bytes
}

@c @implementation
public func kastore_put(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ key_len: Int,
    _ array: UnsafeRawPointer?, _ array_len: Int, _ type: Int32, _ flags: Int32
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let store = self_ else { throw .nullArgument }
        if flags != 0 && flags != KAS_BORROWS_ARRAY { throw .badFlags }
        guard let kind = KastoreType(code: Int(type)) else { throw .badType }
        let bytes = try checkedByteCount(array, array_len, kind)
        let borrows = flags == KAS_BORROWS_ARRAY
        var copy: UnsafeMutableRawPointer?
        if !borrows {
            let buffer = try RawMemory.allocate(bytes)
            if let array, bytes > 0 { memcpy(buffer, array, bytes) }
            copy = buffer
        } else if array == nil {
            copy = try RawMemory.allocate(1)  // kastore's placeholder for a borrowed NULL
        }
        do throws(SwKasError) {
            let state = try writerState(store)
            if key_len == 0 { throw .emptyKey }
            guard let key else { throw .nullArgument }
            try insertItem(
                store, state: state, key: UnsafeRawBufferPointer(start: key, count: key_len), type: type,
                count: array_len, array: copy, borrowed: borrows ? array : nil)
        } catch {
            RawMemory.release(copy)
            throw error
        }
        return 0
    }
}

@c @implementation
public func kastore_puts(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeRawPointer?,
    _ array_len: Int, _ type: Int32, _ flags: Int32
) -> Int32 {
    kastore_put(self_, key, key.map { strlen($0) } ?? 0, array, array_len, type, flags)
}

@c @implementation
public func kastore_oput(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ key_len: Int,
    _ array: UnsafeMutableRawPointer?, _ array_len: Int, _ type: Int32, _ flags: Int32
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let store = self_ else { throw .nullArgument }
        if flags != 0 { throw .badFlags }
        let state = try writerState(store)
        guard let kind = KastoreType(code: Int(type)) else { throw .badType }
        _ = try checkedByteCount(array, array_len, kind)
        if key_len == 0 { throw .emptyKey }
        guard let key else { throw .nullArgument }
        try insertItem(
            store, state: state, key: UnsafeRawBufferPointer(start: key, count: key_len), type: type,
            count: array_len, array: array, borrowed: nil)
        return 0
    }
}

@c @implementation
public func kastore_oputs(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutableRawPointer?,
    _ array_len: Int, _ type: Int32, _ flags: Int32
) -> Int32 {
    kastore_oput(self_, key, key.map { strlen($0) } ?? 0, array, array_len, type, flags)
}

/// Removes the items added after the first `count`, freeing what they own
/// (undoing part of a bulk put).
private func truncateItems(_ store: StorePointer, state: StoreState, to count: Int) {
    let items = store.itemBuffer
    for index in stride(from: items.count - 1, through: count, by: -1) {
        let item = items[index]
        state.keys.remove(KeyReference(item.keyBytes))
        RawMemory.release(item.key)
        RawMemory.release(item.array)
    }
    store.pointee.num_items = count
}

@c @implementation
public func swkas_put_many(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ count: Int, _ keys: UnsafePointer<UnsafePointer<CChar>?>?,
    _ key_lens: UnsafePointer<Int>?, _ arrays: UnsafePointer<UnsafeRawPointer?>?, _ array_lens: UnsafePointer<Int>?,
    _ types: UnsafePointer<Int32>?, _ flags: Int32, _ failed: UnsafeMutablePointer<Int>?
) -> Int32 {
    guard let store = self_ else { return SWKAS_ERR_NULL_ARGUMENT }
    if count == 0 { return 0 }
    guard count > 0, let keys, let key_lens, let arrays, let array_lens, let types else {
        return SWKAS_ERR_NULL_ARGUMENT
    }
    let before = store.pointee.num_items
    for index in 0..<count {
        let status = kastore_put(store, keys[index], key_lens[index], arrays[index], array_lens[index], types[index], flags)
        if status != 0 {
            let saved = errno
            if let state = ItemTable.state(of: store), store.pointee.mode == KAS_WRITE {
                truncateItems(store, state: state, to: before)
            }
            failed?.pointee = index
            errno = saved
            return status
        }
    }
    return 0
}
