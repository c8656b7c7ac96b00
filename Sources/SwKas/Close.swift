import CSwKas
import SwKasCore

#if canImport(Glibc)
import Glibc
#endif

/// Frees everything a store owns (keys, arrays not handed to the caller, the
/// items table and its state) and closes a FILE it opened itself; then zeroes
/// the struct. Returns the errno of a failed fclose, or 0.
@discardableResult
func releaseStore(_ store: StorePointer) -> Int32 {
    if let state = ItemTable.state(of: store) {
        let items = store.itemBuffer
        if store.pointee.mode == KAS_WRITE {
            for item in items {
                RawMemory.release(item.key)
                RawMemory.release(item.array)
            }
        } else if case .stream = state.source {
            for item in items { RawMemory.release(item.array) }
        }
        RawMemory.release(store.pointee.key_read_buffer)
        ItemTable.destroy(store)
    }
    var closeError: Int32 = 0
    if store.pointee.flags & ownFileFlag != 0, let stream = store.pointee.file {
        if fclose(stream) != 0 { closeError = errno }
    }
    store.zeroFill()
    return closeError
}

/// Writes a writer's store to its destination, in key order.
private func writeStore(_ store: StorePointer, _ state: StoreState) throws(SwKasError) {
    let items = SortedItems(store.itemBuffer)
    switch state.destination {
    case .none:
        return
    case .stream:
        guard let stream = store.pointee.file else { return }
        var output = StdioOutput(stream)
        try KastoreEncoder.encode(items, to: &output)
    case .file(let file):
        try file.write { (output) throws(SwKasError) in
            var output = output
            try KastoreEncoder.encode(items, to: &output)
        }
    }
}

@c @implementation
public func kastore_close(_ self_: UnsafeMutablePointer<kastore_t>?) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let store = self_ else { return 0 }
        var failure: SwKasError?
        if store.pointee.mode == KAS_WRITE, let state = ItemTable.state(of: store) {
            do throws(SwKasError) { try writeStore(store, state) } catch { failure = error }
        }
        let closeError = releaseStore(store)
        if let failure { throw failure }
        if closeError != 0 { throw .io(errno: closeError) }
        return 0
    }
}

@c @implementation
public func swkas_set_durable(_ self_: UnsafeMutablePointer<kastore_t>?, _ durable: Int32) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let store = self_ else { throw .nullArgument }
        guard store.pointee.mode == KAS_WRITE, let state = ItemTable.state(of: store),
            case .file(let file) = state.destination
        else { throw .illegalOperation }
        file.durable = durable != 0
        return 0
    }
}

@c @implementation
public func swkas_discard(_ self_: UnsafeMutablePointer<kastore_t>?) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let store = self_ else { return 0 }
        if store.pointee.mode == KAS_WRITE, let state = ItemTable.state(of: store),
            case .file(let file) = state.destination
        {
            file.abandon()
        }
        let closeError = releaseStore(store)
        if closeError != 0 { throw .io(errno: closeError) }
        return 0
    }
}

@c @implementation
public func swkas_encode(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ size: UnsafeMutablePointer<Int>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let store = self_, let data, let size else { throw .nullArgument }
        guard store.pointee.mode == KAS_WRITE, ItemTable.state(of: store) != nil else { throw .illegalOperation }
        let items = SortedItems(store.itemBuffer)
        var output = try MemoryOutput(capacity: try KastoreEncoder.layout(items.entries).fileSize)
        do throws(SwKasError) {
            try KastoreEncoder.encode(items, to: &output)
        } catch {
            RawMemory.release(output.take().0)
            throw error
        }
        let (bytes, count) = output.take()
        data.pointee = bytes
        size.pointee = count
        return 0
    }
}

/// `%p` as glibc prints it.
private func describe(_ pointer: UnsafeRawPointer?) -> String {
    guard let pointer else { return "(nil)" }
    return "0x" + String(UInt(bitPattern: pointer), radix: 16)
}

@c @implementation
public func kastore_print_state(_ self_: UnsafeMutablePointer<kastore_t>?, _ out: UnsafeMutablePointer<FILE>?) {
    guard let store = self_, let out else { return }
    let rule = String(repeating: "=", count: 28)
    let s = store.pointee
    var text = """
        \(rule)
        kastore state
        file_version = \(s.file_version.0).\(s.file_version.1)
        mode  = \(s.mode)
        flags = \(s.flags)
        num_items = \(s.num_items)
        file_size = \(s.file_size)
        own_file  = \(s.flags & ownFileFlag != 0 ? 1 : 0)
        file = '\(describe(s.file.map { UnsafeRawPointer($0) }))'
        \(rule)

        """
    for item in store.itemBuffer {
        let key = String(decoding: item.keyBytes, as: UTF8.self)
        text += "\(key): type=\(item.type), key_start=\(item.key_start), key_len=\(item.key_len), "
        text += "key=\(describe(item.key.map { UnsafeRawPointer($0) })), array_start=\(item.array_start), "
        text += "array_len=\(item.array_len), array=\(describe(item.array.map { UnsafeRawPointer($0) }))\n"
    }
    text += rule + "\n"
    fputs(text, out)
}
