import CSwKas
import SwKasCore

#if canImport(Glibc)
import Glibc
#endif

/// What a `swkas_array_t *` points at: the array, plus the C copies of the
/// strings and values handed out as borrowed pointers. Those stay until the
/// next modifying call or `swkas_array_free`.
final class ArrayHandle {
    let array: NDArray
    private let mutex = PthreadMutex()
    /// One C copy per distinct content, so repeated calls do not grow memory.
    private var borrowed: [[UInt8]: UnsafeMutableRawPointer] = [:]

    init(_ array: NDArray) {
        self.array = array
    }

    deinit { releaseBorrowed() }

    /// A C copy of `bytes` (NUL-terminated) that lives as long as documented.
    func lend(_ bytes: [UInt8]) -> UnsafeRawPointer? {
        mutex.withLock {
            if let existing = borrowed[bytes] { return UnsafeRawPointer(existing) }
            guard let copy = malloc(bytes.count + 1) else { return nil }
            bytes.withUnsafeBytes { source in
                if let base = source.baseAddress { copy.copyMemory(from: base, byteCount: bytes.count) }
            }
            copy.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
            borrowed[bytes] = copy
            return UnsafeRawPointer(copy)
        }
    }

    /// Frees what was lent (called before each modifying call).
    func releaseBorrowed() {
        mutex.withLock {
            for pointer in borrowed.values { free(pointer) }
            borrowed.removeAll()
        }
    }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passRetained(self).toOpaque()) }

    static func from(_ pointer: OpaquePointer?) throws(SwKasError) -> ArrayHandle {
        guard let pointer else { throw .nullArgument }
        return Unmanaged<ArrayHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

/// The first `count` values of a C fixed-size array imported as a tuple.
private func values<Tuple, Element: FixedWidthInteger>(_ tuple: Tuple, count: Int, as type: Element.Type) -> [Int] {
    withUnsafeBytes(of: tuple) { raw in
        (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<Element>.stride, as: Element.self)) }
    }
}

/// Writes `source` into the first entries of a C fixed-size array (the rest zeroed).
private func store<Tuple, Element: FixedWidthInteger>(_ source: [Int], into tuple: inout Tuple, as type: Element.Type) {
    withUnsafeMutableBytes(of: &tuple) { raw in
        for index in 0..<(raw.count / MemoryLayout<Element>.stride) {
            let value = index < source.count ? Element(truncatingIfNeeded: source[index]) : 0
            raw.storeBytes(of: value, toByteOffset: index * MemoryLayout<Element>.stride, as: Element.self)
        }
    }
}

/// A C string argument as a Swift string.
private func string(_ pointer: UnsafePointer<CChar>?) throws(SwKasError) -> String {
    guard let pointer else { throw .nullArgument }
    guard let text = String(validatingCString: pointer) else { throw .invalidArgument("names must be UTF-8") }
    return text
}

extension ArraySpec {
    /// The Swift spec of C parameters, every field checked.
    init(_ c: swkas_array_params_t) throws(SwKasError) {
        let ndim = Int(c.ndim)
        guard (0...Int(SWKAS_MAX_DIM)).contains(ndim) else { throw .invalidArgument("ndim") }
        self.init(
            shape: values(c.shape, count: ndim, as: Int64.self), itemsize: Int(c.itemsize),
            dtype: try c.dtype.map { (text) throws(SwKasError) in try string(text) }, chunks: values(c.chunks, count: ndim, as: Int32.self),
            blocks: values(c.blocks, count: ndim, as: Int32.self))
        compression = try ArrayCompression(c.cparams)
        guard c.nmeta >= 0, c.nmeta <= SWKAS_MAX_METALAYERS else { throw .invalidArgument("nmeta") }
        if c.nmeta > 0 {
            guard let names = c.meta_names, let contents = c.meta_values, let sizes = c.meta_sizes else {
                throw .nullArgument
            }
            for index in 0..<Int(c.nmeta) {
                let name = try string(names[index])
                guard let content = contents[index] ?? (sizes[index] == 0 ? UnsafeRawPointer(bitPattern: 1) : nil) else {
                    throw .nullArgument
                }
                let value = Array(UnsafeRawBufferPointer(start: content, count: sizes[index]))
                metalayers.append(Metalayer(name: name, value: value))
            }
        }
    }
}

extension ArrayCompression {
    /// The array compression of a C `swkas_cparams_t` (typesize and blocksize ignored).
    init(_ c: swkas_cparams_t) throws(SwKasError) {
        var cparams = c
        cparams.typesize = 1
        cparams.blocksize = 0
        let parameters = try Blosc2Parameters(cparams)
        self.init()
        codec = parameters.codec
        clevel = parameters.clevel
        filters = parameters.filters
        filtersMeta = parameters.filtersMeta
        nthreads = parameters.nthreads
        splitMode = parameters.splitMode
    }
}

/// The location a C call names.
private func location(_ urlpath: UnsafePointer<CChar>?, _ flags: Int32) throws(SwKasError) -> ArrayLocation {
    if flags & ~(SWKAS_ARRAY_OVERWRITE | SWKAS_ARRAY_NOT_DURABLE) != 0 { throw .badFlags }
    guard let urlpath else { return .memory }
    return .file(
        String(cString: urlpath), overwrite: flags & SWKAS_ARRAY_OVERWRITE != 0,
        durable: flags & SWKAS_ARRAY_NOT_DURABLE == 0)
}

/// Creates an array from C arguments and stores the new handle.
private func createArray(
    _ params: UnsafePointer<swkas_array_params_t>?, _ array: UnsafeMutablePointer<OpaquePointer?>?,
    _ make: (ArraySpec) throws(SwKasError) -> NDArray
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let params, let array else { throw .nullArgument }
        array.pointee = nil
        array.pointee = ArrayHandle(try make(try ArraySpec(params.pointee))).opaque
        return 0
    }
}

@c @implementation
public func swkas_array_params_init(_ params: UnsafeMutablePointer<swkas_array_params_t>?) {
    guard let params else { return }
    var result = swkas_array_params_t()
    result.itemsize = 8
    swkas_cparams_init(&result.cparams)
    let defaults = ArrayCompression()
    result.cparams.codec = Int32(defaults.codec.rawValue)
    result.cparams.filters = tuple(defaults.filters.map(\.rawValue))
    result.cparams.nthreads = Int32(defaults.nthreads)
    params.pointee = result
}

@c @implementation
public func swkas_array_empty(
    _ params: UnsafePointer<swkas_array_params_t>?, _ urlpath: UnsafePointer<CChar>?, _ flags: Int32,
    _ array: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    swkas_array_zeros(params, urlpath, flags, array)  // empty arrays read as zeros too
}

@c @implementation
public func swkas_array_zeros(
    _ params: UnsafePointer<swkas_array_params_t>?, _ urlpath: UnsafePointer<CChar>?, _ flags: Int32,
    _ array: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    createArray(params, array) { (spec) throws(SwKasError) in try NDArray.zeros(spec, at: try location(urlpath, flags)) }
}

@c @implementation
public func swkas_array_full(
    _ params: UnsafePointer<swkas_array_params_t>?, _ urlpath: UnsafePointer<CChar>?, _ flags: Int32,
    _ fill_value: UnsafeRawPointer?, _ array: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    createArray(params, array) { (spec) throws(SwKasError) in
        guard let fill_value else { throw .nullArgument }
        let value = Array(UnsafeRawBufferPointer(start: fill_value, count: Swift.max(spec.itemsize, 0)))
        return try NDArray.full(spec, value: value, at: try location(urlpath, flags))
    }
}

@c @implementation
public func swkas_array_from_buffer(
    _ params: UnsafePointer<swkas_array_params_t>?, _ urlpath: UnsafePointer<CChar>?, _ flags: Int32,
    _ buffer: UnsafeRawPointer?, _ size: Int, _ array: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    createArray(params, array) { (spec) throws(SwKasError) in
        guard buffer != nil || size == 0, size >= 0 else { throw .nullArgument }
        return try NDArray.fromBuffer(
            UnsafeRawBufferPointer(start: buffer, count: size), spec, at: try location(urlpath, flags))
    }
}

@c @implementation
public func swkas_array_open(
    _ urlpath: UnsafePointer<CChar>?, _ flags: Int32, _ array: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let array else { throw .nullArgument }
        array.pointee = nil
        if flags & ~(SWKAS_ARRAY_READONLY | SWKAS_ARRAY_NOT_DURABLE) != 0 { throw .badFlags }
        let opened = try NDArray.open(
            path: try string(urlpath), readOnly: flags & SWKAS_ARRAY_READONLY != 0,
            durable: flags & SWKAS_ARRAY_NOT_DURABLE == 0)
        array.pointee = ArrayHandle(opened).opaque
        return 0
    }
}

@c @implementation
public func swkas_array_from_cframe(
    _ frame: UnsafeRawPointer?, _ size: Int, _ array: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let array, let frame, size >= 0 else { throw .nullArgument }
        array.pointee = nil
        array.pointee = ArrayHandle(try NDArray.fromFrame(Array(UnsafeRawBufferPointer(start: frame, count: size)))).opaque
        return 0
    }
}

@c @implementation
public func swkas_array_to_cframe(
    _ array: OpaquePointer?, _ buffer: UnsafeMutableRawPointer?, _ size: Int, _ frame_size: UnsafeMutablePointer<Int>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let frame_size else { throw .nullArgument }
        let bytes = try ArrayHandle.from(array).array.frameBytes()
        frame_size.pointee = bytes.count
        guard let buffer, size >= bytes.count else { throw .bufferTooSmall }
        bytes.withUnsafeBytes { if let base = $0.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) } }
        return 0
    }
}

@c @implementation
public func swkas_array_copy(
    _ array: OpaquePointer?, _ params: UnsafePointer<swkas_array_params_t>?, _ urlpath: UnsafePointer<CChar>?,
    _ flags: Int32, _ copy: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let copy else { throw .nullArgument }
        copy.pointee = nil
        let source = try ArrayHandle.from(array).array
        let target = try location(urlpath, flags)
        let result: NDArray
        if let params {
            let spec = try ArraySpec(params.pointee)
            let chunks = spec.chunks.flatMap { $0.count == source.geometry.ndim ? $0 : nil }
            let blocks = spec.blocks.flatMap { $0.count == source.geometry.ndim ? $0 : nil }
            guard params.pointee.ndim == 0 || Int(params.pointee.ndim) == source.geometry.ndim else {
                throw .invalidArgument("ndim differs from the array's")
            }
            result = try source.copy(
                chunks: chunks.flatMap { $0.allSatisfy { $0 == 0 } ? nil : $0 },
                blocks: blocks.flatMap { $0.allSatisfy { $0 == 0 } ? nil : $0 }, compression: spec.compression,
                at: target)
        } else {
            result = try source.copy(at: target)
        }
        copy.pointee = ArrayHandle(result).opaque
        return 0
    }
}

@c @implementation
public func swkas_array_set_nthreads(_ array: OpaquePointer?, _ nthreads: Int32) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        try ArrayHandle.from(array).array.setThreads(Int(nthreads))
        return 0
    }
}

@c @implementation
public func swkas_array_free(_ array: OpaquePointer?) {
    guard let array else { return }
    Unmanaged<ArrayHandle>.fromOpaque(UnsafeRawPointer(array)).release()
}

@c @implementation
public func swkas_array_remove(_ urlpath: UnsafePointer<CChar>?) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        try NDArray.remove(path: try string(urlpath))
        return 0
    }
}

@c @implementation
public func swkas_array_get_params(_ array: OpaquePointer?, _ params: UnsafeMutablePointer<swkas_array_params_t>?) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let params else { throw .nullArgument }
        let handle = try ArrayHandle.from(array)
        let source = handle.array
        let geometry = source.geometry
        var result = swkas_array_params_t()
        result.ndim = Int32(geometry.ndim)
        store(geometry.shape, into: &result.shape, as: Int64.self)
        store(geometry.chunks, into: &result.chunks, as: Int32.self)
        store(geometry.blocks, into: &result.blocks, as: Int32.self)
        result.itemsize = Int32(truncatingIfNeeded: geometry.itemsize)
        result.dtype = handle.lend(Array(source.dtype.utf8))?.assumingMemoryBound(to: CChar.self)
        let compression = source.compression
        swkas_cparams_init(&result.cparams)
        result.cparams.codec = Int32(compression.codec.rawValue)
        result.cparams.clevel = Int32(compression.clevel)
        result.cparams.typesize = Int32(truncatingIfNeeded: geometry.itemsize <= 255 ? geometry.itemsize : 1)
        result.cparams.blocksize = Int32(truncatingIfNeeded: geometry.blockBytes)
        result.cparams.filters = tuple(compression.filters.map(\.rawValue))
        result.cparams.filters_meta = tuple(compression.filtersMeta)
        result.cparams.nthreads = Int32(compression.nthreads)
        result.cparams.splitmode = compression.splitMode.rawValue
        params.pointee = result
        return 0
    }
}

@c @implementation
public func swkas_array_get_stats(_ array: OpaquePointer?, _ stats: UnsafeMutablePointer<swkas_array_stats_t>?) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let stats else { throw .nullArgument }
        let handle = try ArrayHandle.from(array)
        let values = handle.array.stats
        let geometry = handle.array.geometry
        stats.pointee = swkas_array_stats_t(
            nitems: Int64(values.itemCount), nbytes: Int64(values.nbytes), frame_nbytes: Int64(values.frameNbytes),
            cbytes: Int64(values.cbytes), nchunks: Int64(values.chunkCount), chunk_nbytes: Int64(geometry.chunkBytes),
            block_nbytes: Int64(geometry.blockBytes), frame_size: Int64(values.frameSize), has_b2nd: values.hasB2nd ? 1 : 0,
            has_caterva: values.hasCaterva ? 1 : 0, readonly: handle.array.readOnly ? 1 : 0,
            in_memory: values.inMemory ? 1 : 0)
        return 0
    }
}

@c @implementation
public func swkas_array_info(
    _ array: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ needed: UnsafeMutablePointer<Int>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        let text = Array(try ArrayHandle.from(array).array.info.utf8) + [0]
        needed?.pointee = text.count
        guard let buffer, size >= text.count else { throw .bufferTooSmall }
        for (index, byte) in text.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        return 0
    }
}

/// The strided ranges of C start/stop/step vectors (step NULL = 1).
private func ranges(
    _ array: NDArray, _ start: UnsafePointer<Int64>?, _ stop: UnsafePointer<Int64>?, _ step: UnsafePointer<Int64>?
) throws(SwKasError) -> [StridedRange] {
    let ndim = array.geometry.ndim
    if ndim == 0 { return [] }
    guard let start, let stop else { throw .nullArgument }
    return (0..<ndim).map { axis in
        StridedRange(start: Int(start[axis]), stop: Int(stop[axis]), step: Int(step?[axis] ?? 1))
    }
}

@c @implementation
public func swkas_array_get_slice(
    _ array: OpaquePointer?, _ start: UnsafePointer<Int64>?, _ stop: UnsafePointer<Int64>?,
    _ step: UnsafePointer<Int64>?, _ buffer: UnsafeMutableRawPointer?, _ size: Int
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        let source = try ArrayHandle.from(array).array
        guard buffer != nil || size == 0, size >= 0 else { throw .nullArgument }
        try source.getSlice(
            try ranges(source, start, stop, step), into: UnsafeMutableRawBufferPointer(start: buffer, count: size))
        return 0
    }
}

@c @implementation
public func swkas_array_set_slice(
    _ array: OpaquePointer?, _ start: UnsafePointer<Int64>?, _ stop: UnsafePointer<Int64>?,
    _ step: UnsafePointer<Int64>?, _ buffer: UnsafeRawPointer?, _ size: Int
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        let handle = try ArrayHandle.from(array)
        guard buffer != nil || size == 0, size >= 0 else { throw .nullArgument }
        handle.releaseBorrowed()
        try handle.array.setSlice(
            try ranges(handle.array, start, stop, step), from: UnsafeRawBufferPointer(start: buffer, count: size))
        return 0
    }
}

@c @implementation
public func swkas_array_resize(_ array: OpaquePointer?, _ shape: UnsafePointer<Int64>?) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        let handle = try ArrayHandle.from(array)
        let ndim = handle.array.geometry.ndim
        guard shape != nil || ndim == 0 else { throw .nullArgument }
        handle.releaseBorrowed()
        try handle.array.resize((0..<ndim).map { Int(shape?[$0] ?? 0) })
        return 0
    }
}

@c @implementation
public func swkas_array_meta_count(_ array: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> Int32 {
    storeCount(array, count) { $0.metalayers.count }
}

/// Writes a count, for the *_count functions.
private func storeCount(_ array: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?, _ measure: (NDArray) -> Int) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let count else { throw .nullArgument }
        count.pointee = measure(try ArrayHandle.from(array).array)
        return 0
    }
}

/// Runs a modifying call that takes a named value (the *_set functions),
/// after releasing what the handle lent.
private func setValue(
    _ array: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafeRawPointer?, _ size: Int,
    _ body: (NDArray, String, [UInt8]) throws(SwKasError) -> Void
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        let handle = try ArrayHandle.from(array)
        guard value != nil || size == 0, size >= 0 else { throw .nullArgument }
        handle.releaseBorrowed()
        try body(handle.array, try string(name), Array(UnsafeRawBufferPointer(start: value, count: size)))
        return 0
    }
}

@c @implementation
public func swkas_array_meta_name(
    _ array: OpaquePointer?, _ index: Int, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    lendName(array, index, name) { $0.metalayers.map(\.name) }
}

/// Lends name `index` of the list `names` gives, for the *_name functions.
private func lendName(
    _ array: OpaquePointer?, _ index: Int, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ names: (NDArray) -> [String]
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let name else { throw .nullArgument }
        let handle = try ArrayHandle.from(array)
        let all = names(handle.array)
        guard index >= 0, index < all.count else { throw .indexOutOfRange }
        name.pointee = try lent(handle, Array(all[index].utf8)).assumingMemoryBound(to: CChar.self)
        return 0
    }
}

/// Lends the value `lookup` finds for a name, for the *_get functions.
private func lendValue(
    _ array: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafeMutablePointer<UnsafeRawPointer?>?,
    _ size: UnsafeMutablePointer<Int>?, _ lookup: (NDArray, String) throws(SwKasError) -> [UInt8]?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let value, let size else { throw .nullArgument }
        let handle = try ArrayHandle.from(array)
        guard let content = try lookup(handle.array, try string(name)) else { throw .keyNotFound }
        value.pointee = try lent(handle, content)
        size.pointee = content.count
        return 0
    }
}

/// Lends bytes through the handle, or fails for lack of memory.
private func lent(_ handle: ArrayHandle, _ bytes: [UInt8]) throws(SwKasError) -> UnsafeRawPointer {
    guard let pointer = handle.lend(bytes) else { throw .noMemory }
    return pointer
}

@c @implementation
public func swkas_array_meta_get(
    _ array: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafeMutablePointer<UnsafeRawPointer?>?,
    _ size: UnsafeMutablePointer<Int>?
) -> Int32 {
    lendValue(array, name, value, size) { (array, wanted) in array.metalayers.first { $0.name == wanted }?.value }
}

@c @implementation
public func swkas_array_meta_set(
    _ array: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafeRawPointer?, _ size: Int
) -> Int32 {
    setValue(array, name, value, size) { (array, name, bytes) throws(SwKasError) in
        try array.setMetalayer(name, value: bytes)
    }
}

@c @implementation
public func swkas_array_vlmeta_count(_ array: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> Int32 {
    storeCount(array, count) { $0.vlmetaNames.count }
}

@c @implementation
public func swkas_array_vlmeta_name(
    _ array: OpaquePointer?, _ index: Int, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    lendName(array, index, name) { $0.vlmetaNames }
}

@c @implementation
public func swkas_array_vlmeta_get(
    _ array: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafeMutablePointer<UnsafeRawPointer?>?,
    _ size: UnsafeMutablePointer<Int>?
) -> Int32 {
    lendValue(array, name, value, size) { (array, wanted) throws(SwKasError) in try array.vlmeta(wanted) }
}

@c @implementation
public func swkas_array_vlmeta_set(
    _ array: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafeRawPointer?, _ size: Int
) -> Int32 {
    setValue(array, name, value, size) { (array, name, bytes) throws(SwKasError) in
        try array.setVlmeta(name, value: bytes)
    }
}

@c @implementation
public func swkas_array_vlmeta_delete(_ array: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        let handle = try ArrayHandle.from(array)
        handle.releaseBorrowed()
        try handle.array.deleteVlmeta(try string(name))
        return 0
    }
}
