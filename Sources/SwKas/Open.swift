import CSwKas
import SwKasCore

#if canImport(Glibc)
import Glibc
#endif

/// Open flags kastore accepts: KAS_READ_ALL and KAS_GET_TAKES_OWNERSHIP.
private func checkOpenFlags(_ flags: Int32) throws(SwKasError) {
    if flags < 0 || flags > (KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP) { throw .badFlags }
}

/// The single-letter mode of a C mode string, or nil if it is not one letter.
private func modeLetter(_ mode: UnsafePointer<CChar>?) -> UInt8? {
    guard let mode, mode[0] != 0, mode[1] == 0 else { return nil }
    return UInt8(bitPattern: mode[0])
}

/// Runs an open: on failure, frees whatever was set up and zeroes the struct,
/// so that kastore_close stays a harmless no-op.
private func opening(_ store: StorePointer?, _ body: (StorePointer) throws(SwKasError) -> Void) -> Int32 {
    guard let store else { return SWKAS_ERR_NULL_ARGUMENT }
    store.zeroFill()
    return cCall { () throws(SwKasError) -> Int32 in
        do throws(SwKasError) {
            try body(store)
        } catch {
            releaseStore(store)
            throw error
        }
        return 0
    }
}

/// Fills a reader from validated contents. Memory-backed readers get every
/// item's `array` pointing into the memory at once.
private func installReader(
    _ store: StorePointer, _ contents: KastoreContents, source: StoreState.Source
) throws(SwKasError) {
    let count = contents.descriptors.count
    let state = StoreState(capacity: count)
    state.source = source
    do throws(SwKasError) {
        try ItemTable.create(for: store, capacity: count, state: state)
    } catch {
        RawMemory.release(contents.keyBlock.baseAddress)
        throw error
    }
    let keys = contents.keyBlock.baseAddress?.assumingMemoryBound(to: CChar.self)
    store.pointee.key_read_buffer = keys
    store.pointee.mode = KAS_READ
    store.pointee.file_version = (Int32(contents.header.versionMajor), Int32(contents.header.versionMinor))
    store.pointee.file_size = Int(truncatingIfNeeded: contents.header.fileSize)
    var memoryBase: UnsafeMutableRawPointer?
    if case .memory(let bytes, _) = source { memoryBase = UnsafeMutableRawPointer(mutating: bytes.baseAddress) }
    let keysStart = contents.header.keysStart
    guard let items = store.pointee.items else { throw .generic }
    for (index, descriptor) in contents.descriptors.enumerated() {
        // Every offset is ≤ file_size, which is validated and (for memory) ≤ the buffer.
        let keyOffset = Int(truncatingIfNeeded: descriptor.keyStart &- keysStart)
        let arrayStart = Int(truncatingIfNeeded: descriptor.arrayStart)
        (items + index).initialize(
            to: kaitem_t(
                type: Int32(descriptor.type.rawValue), key_len: Int(truncatingIfNeeded: descriptor.keyLength),
                array_len: Int(truncatingIfNeeded: descriptor.count), key: keys.map { $0 + keyOffset },
                borrowed_array: nil, array: memoryBase.map { $0 + arrayStart },
                key_start: Int(truncatingIfNeeded: descriptor.keyStart), array_start: arrayStart))
    }
    store.pointee.num_items = count
}

/// A reader on a stream (§2.1): lazy, or every array read at open with no seek.
private func openStreamReader(_ store: StorePointer, _ stream: UnsafeMutablePointer<FILE>, flags: Int32)
    throws(SwKasError)
{
    let readAll = flags & KAS_READ_ALL != 0
    let saved = errno
    let offset = ftell(stream)
    if offset < 0 {
        if !readAll { throw .io(errno: errno) }
        errno = saved  // a pipe: READ_ALL never seeks, so position 0 will do
    }
    store.pointee.file_offset = Swift.max(offset, 0)
    var input = StdioInput(stream)
    let contents = try KastoreDecoder.readContents(&input)
    try installReader(store, contents, source: .stream)
    guard readAll else { return }
    let items = store.itemBuffer
    for index in items.indices {
        // Each chunk runs to the next array (or the store's end), padding included.
        let end = index + 1 < items.count ? items[index + 1].array_start : store.pointee.file_size
        let chunk = UInt(bitPattern: end) - UInt(bitPattern: items[index].array_start)  // starts ascend
        guard let size = Int(exactly: chunk) else { throw .noMemory }
        let buffer = try RawMemory.allocate(size)
        do throws(SwKasError) {
            try KastoreDecoder.readExactly(&input, into: UnsafeMutableRawBufferPointer(start: buffer, count: size))
        } catch {
            RawMemory.release(buffer)
            throw error
        }
        items[index].array = buffer
    }
}

/// A writer with no items yet.
private func installWriter(_ store: StorePointer, flags: Int32, destination: StoreState.Destination)
    throws(SwKasError)
{
    let state = StoreState(capacity: 0)
    state.destination = destination
    try ItemTable.create(for: store, capacity: 8, state: state)
    store.pointee.mode = KAS_WRITE
    store.pointee.flags = flags
}

/// A reader over memory: validated like a stream, arrays borrowed in place.
private func openMemoryReader(_ store: StorePointer, _ bytes: UnsafeRawBufferPointer, owner: MappedFile?, flags: Int32)
    throws(SwKasError)
{
    let contents = try KastoreDecoder.readContents(memory: bytes)
    try installReader(store, contents, source: .memory(bytes, owner: owner))
    store.pointee.flags = flags
}

@c @implementation
public func kastore_openf(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ file: UnsafeMutablePointer<FILE>?,
    _ mode: UnsafePointer<CChar>?, _ flags: Int32
) -> Int32 {
    opening(self_) { (store) throws(SwKasError) in
        let letter = modeLetter(mode)
        guard letter == UInt8(ascii: "r") || letter == UInt8(ascii: "w") else { throw .badMode }
        try checkOpenFlags(flags)
        guard let file else { throw .nullArgument }
        store.pointee.file = file
        store.pointee.flags = flags
        if letter == UInt8(ascii: "r") {
            try openStreamReader(store, file, flags: flags)
        } else {
            try installWriter(store, flags: flags, destination: .stream)
        }
    }
}

@c @implementation
public func kastore_open(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ filename: UnsafePointer<CChar>?,
    _ mode: UnsafePointer<CChar>?, _ flags: Int32
) -> Int32 {
    opening(self_) { (store) throws(SwKasError) in
        guard let filename else { throw .nullArgument }
        switch modeLetter(mode) {
        case UInt8(ascii: "r"):
            guard let stream = fopen(filename, "rb") else { throw .io(errno: errno) }
            store.pointee.file = stream
            store.pointee.flags = flags | ownFileFlag  // so a failure below closes it
            try checkOpenFlags(flags)
            try openStreamReader(store, stream, flags: flags)
        case UInt8(ascii: "w"):
            let file = try probeForWriting(filename, flags: flags)
            try installWriter(store, flags: flags | ownFileFlag, destination: .file(file))
        case UInt8(ascii: "a"):
            try openAppend(store, path: filename, flags: flags)
        default:
            throw .badMode
        }
    }
}

/// A path writer's target, probed (kastore's fopen errors) before the flags
/// are checked, as kastore does; a file the probe created is removed again
/// when the flags are bad.
private func probeForWriting(_ path: UnsafePointer<CChar>, flags: Int32) throws(SwKasError) -> AtomicFile {
    let file = try AtomicFile(probing: SystemPath(cString: path))
    do throws(SwKasError) { try checkOpenFlags(flags) } catch {
        file.abandon()
        throw error
    }
    return file
}

/// Append mode: read the whole existing store, then become a writer holding
/// its items, to be written back (atomically) with the new ones at close.
private func openAppend(_ store: StorePointer, path: UnsafePointer<CChar>, flags: Int32) throws(SwKasError) {
    var old = kastore_t()
    let status = kastore_open(&old, path, "r", KAS_READ_ALL)
    if status != 0 {
        throw status == KAS_ERR_IO ? .io(errno: errno) : (SwKasError.byCode[status] ?? .generic)
    }
    defer { _ = kastore_close(&old) }
    if let stream = old.file {
        old.file = nil
        old.flags &= ~ownFileFlag
        if fclose(stream) != 0 { throw .io(errno: errno) }
    }
    let file = try probeForWriting(path, flags: flags)
    try installWriter(store, flags: flags | ownFileFlag, destination: .file(file))
    guard let state = ItemTable.state(of: store) else { throw .generic }
    try withUnsafeMutablePointer(to: &old) { (oldStore) throws(SwKasError) in
        let oldItems = oldStore.itemBuffer
        for index in oldItems.indices {
            // Hand each loaded buffer over instead of copying it.
            let item = oldItems[index]
            try insertItem(
                store, state: state, key: item.keyBytes, type: item.type, count: item.array_len,
                array: item.array, borrowed: nil)
            oldItems[index].array = nil
        }
    }
}

@c @implementation
public func swkas_open_mmap(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ filename: UnsafePointer<CChar>?, _ flags: Int32
) -> Int32 {
    opening(self_) { (store) throws(SwKasError) in
        guard let filename else { throw .nullArgument }
        let mapping = try MappedFile(path: SystemPath(cString: filename), populate: flags & KAS_READ_ALL != 0)
        try checkOpenFlags(flags)
        try openMemoryReader(store, mapping.bytes, owner: mapping, flags: flags)
    }
}

@c @implementation
public func swkas_open_buffer(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ data: UnsafeRawPointer?, _ size: Int, _ flags: Int32
) -> Int32 {
    opening(self_) { (store) throws(SwKasError) in
        if data == nil && size != 0 { throw .nullArgument }
        try checkOpenFlags(flags)
        try openMemoryReader(store, UnsafeRawBufferPointer(start: data, count: size), owner: nil, flags: flags)
    }
}

@c @implementation
public func swkas_open_writer(_ self_: UnsafeMutablePointer<kastore_t>?, _ flags: Int32) -> Int32 {
    opening(self_) { (store) throws(SwKasError) in
        try checkOpenFlags(flags)
        try installWriter(store, flags: flags, destination: .none)
    }
}
