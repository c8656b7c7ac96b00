import CSwKas
import SwKasCore

/// The six bytes of a C `uint8_t[6]`, as an array.
func slots(_ tuple: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) -> [UInt8] {
    [tuple.0, tuple.1, tuple.2, tuple.3, tuple.4, tuple.5]
}

func tuple(_ bytes: [UInt8]) -> (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) {
    (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5])
}

extension Blosc2Parameters {
    /// The Swift parameters of a C `swkas_cparams_t`, every field checked.
    init(_ c: swkas_cparams_t) throws(SwKasError) {
        guard let codec = Blosc2Codec(rawValue: UInt8(truncatingIfNeeded: c.codec)), c.codec >= 0, c.codec <= 255
        else { throw .invalidArgument("codec \(c.codec)") }
        guard let split = Blosc2SplitMode(rawValue: c.splitmode) else { throw .invalidArgument("splitmode") }
        var filters: [Blosc2Filter] = []
        for id in slots(c.filters) {
            guard let filter = Blosc2Filter(rawValue: id) else { throw .invalidArgument("filter \(id)") }
            filters.append(filter)
        }
        self.init(
            codec: codec, clevel: Int(c.clevel), typesize: Int(c.typesize), blocksize: Int(c.blocksize),
            filters: filters, filtersMeta: slots(c.filters_meta), nthreads: Int(c.nthreads), splitMode: split)
    }
}

@c @implementation
public func swkas_cparams_init(_ params: UnsafeMutablePointer<swkas_cparams_t>?) {
    guard let params else { return }
    let defaults = Blosc2Parameters()
    params.pointee = swkas_cparams_t(
        codec: Int32(defaults.codec.rawValue), clevel: Int32(defaults.clevel), typesize: Int32(defaults.typesize),
        blocksize: Int32(defaults.blocksize), filters: tuple(defaults.filters.map(\.rawValue)),
        filters_meta: tuple(defaults.filtersMeta), nthreads: Int32(defaults.nthreads),
        splitmode: defaults.splitMode.rawValue)
}

@c @implementation
public func swkas_chunk_compress_bound(_ nbytes: Int) -> Int {
    let (bound, overflow) = nbytes.addingReportingOverflow(Blosc2Chunk.compressedBound(0))
    return overflow ? Int.max : bound
}

@c @implementation
public func swkas_chunk_compress(
    _ params: UnsafePointer<swkas_cparams_t>?, _ src: UnsafeRawPointer?, _ nbytes: Int,
    _ dest: UnsafeMutableRawPointer?, _ dest_size: Int, _ cbytes: UnsafeMutablePointer<Int>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let params, let cbytes, src != nil || nbytes == 0, let dest, nbytes >= 0, dest_size >= 0 else {
            throw .nullArgument
        }
        let parameters = try Blosc2Parameters(params.pointee)
        cbytes.pointee = try Blosc2Chunk.compress(
            UnsafeRawBufferPointer(start: src, count: nbytes), parameters: parameters,
            into: UnsafeMutableRawBufferPointer(start: dest, count: dest_size))
        return 0
    }
}

@c @implementation
public func swkas_chunk_decompress(
    _ chunk: UnsafeRawPointer?, _ chunk_size: Int, _ dest: UnsafeMutableRawPointer?, _ dest_size: Int,
    _ nthreads: Int32, _ nbytes: UnsafeMutablePointer<Int>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let chunk, let nbytes, chunk_size >= 0, dest_size >= 0, dest != nil || dest_size == 0 else {
            throw .nullArgument
        }
        nbytes.pointee = try Blosc2Chunk.decompress(
            UnsafeRawBufferPointer(start: chunk, count: chunk_size),
            into: UnsafeMutableRawBufferPointer(start: dest, count: dest_size), nthreads: Int(Swift.max(nthreads, 1)))
        return 0
    }
}

@c @implementation
public func swkas_chunk_getitems(
    _ chunk: UnsafeRawPointer?, _ chunk_size: Int, _ start: Int, _ count: Int, _ dest: UnsafeMutableRawPointer?,
    _ dest_size: Int, _ nthreads: Int32, _ written: UnsafeMutablePointer<Int>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let chunk, let written, chunk_size >= 0, dest_size >= 0, dest != nil || dest_size == 0 else {
            throw .nullArgument
        }
        written.pointee = try Blosc2Chunk.decompressItems(
            UnsafeRawBufferPointer(start: chunk, count: chunk_size), start: start, count: count,
            into: UnsafeMutableRawBufferPointer(start: dest, count: dest_size), nthreads: Int(Swift.max(nthreads, 1)))
        return 0
    }
}

@c @implementation
public func swkas_chunk_info(
    _ chunk: UnsafeRawPointer?, _ chunk_size: Int, _ info: UnsafeMutablePointer<swkas_chunk_info_t>?
) -> Int32 {
    cCall { () throws(SwKasError) -> Int32 in
        guard let chunk, let info, chunk_size >= 0 else { throw .nullArgument }
        let header = try Blosc2Chunk.header(of: UnsafeRawBufferPointer(start: chunk, count: chunk_size))
        info.pointee = swkas_chunk_info_t(
            version: Int32(header.version), flags: Int32(header.flags), typesize: Int32(header.typesize),
            nbytes: header.nbytes, blocksize: header.blocksize, cbytes: header.cbytes,
            codec: Int32(header.codec.rawValue), filters: tuple(header.filters.map(\.rawValue)),
            filters_meta: tuple(header.filtersMeta), special: Int32(header.special.rawValue),
            memcpyed: header.isMemcpyed ? 1 : 0, split: header.dontSplit ? 0 : 1)
        return 0
    }
}
