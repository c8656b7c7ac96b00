/// A named fixed-size value in a frame's header (spec §4.3).
public struct Metalayer: Sendable, Equatable {
    public var name: String
    public var value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// The fixed fields and metalayers of a contiguous frame (spec §4.1-§4.3).
/// Parsing checks every marker a reader relies on; `encoded()` writes the
/// widths c-blosc2 expects, so a header re-encoded with new sizes keeps its
/// length and can be rewritten in place.
struct FrameHeader: Equatable {
    static let fixedSize = 0x57
    static let magic: [UInt8] = Array("b2frame".utf8) + [0]
    /// Field offsets of the values (after their markers).
    static let frameLengthOffset = 0x10
    static let nbytesOffset = 0x1E

    var headerLength = 0
    var frameLength = 0
    var generalFlags: UInt8 = 0x12
    var frameType: UInt8 = 0
    var codecFlags: UInt8 = 0
    var otherFlags: UInt8 = 2
    var nbytes: Int64 = 0
    var cbytes: Int64 = 0
    var typesize = 0
    var blocksize = 0
    var chunksize = 0
    var compressThreads: Int16 = 1
    var decompressThreads: Int16 = 1
    var hasVariableMetalayers = false
    var filters: [UInt8] = [0, 0, 0, 0, 0, 0]
    var userCodec: UInt8 = 0
    var codecMeta: UInt8 = 0
    var filtersMeta: [UInt8] = [0, 0, 0, 0, 0, 0]
    var otherFlags2: UInt8 = 0
    var metalayers: [Metalayer] = []

    /// Number of chunks: nbytes / chunksize, rounded up.
    var chunkCount: Int {
        guard nbytes > 0, chunksize > 0 else { return 0 }
        let size = Int64(chunksize)
        return Int(nbytes / size + (nbytes % size == 0 ? 0 : 1))
    }

    /// The codec code (low nibble of the codec flags, or the udcodec byte when it says 6).
    var compcode: UInt8 { codecFlags & 0x0F == 6 ? userCodec : codecFlags & 0x0F }
    var clevel: Int { Int(codecFlags >> 4) }

    /// Parses the header in `bytes` (at least `fixedSize` bytes; the
    /// metalayers need `headerLength` bytes, which `parseLength` tells).
    static func parse(_ bytes: [UInt8]) throws(SwKasError) -> FrameHeader {
        var reader = MsgPackReader(bytes)
        var header = FrameHeader()
        try reader.expect(0x9E, "frame header array")
        if try reader.string() != magic { throw .badFrame("magic") }
        try reader.expect(0xD2, "header_len marker")
        header.headerLength = Int(Int32(truncatingIfNeeded: try reader.bigEndian(4)))
        try reader.expect(0xCF, "frame_len marker")
        let frameLength = try reader.bigEndian(8)
        guard frameLength <= UInt64(Int64.max) else { throw .badFrame("frame_len") }
        header.frameLength = Int(frameLength)
        try reader.expect(0xA4, "flags marker")
        header.generalFlags = try reader.byte()
        header.frameType = try reader.byte()
        header.codecFlags = try reader.byte()
        header.otherFlags = try reader.byte()
        try reader.expect(0xD3, "nbytes marker")
        header.nbytes = Int64(bitPattern: try reader.bigEndian(8))
        try reader.expect(0xD3, "cbytes marker")
        header.cbytes = Int64(bitPattern: try reader.bigEndian(8))
        try reader.expect(0xD2, "typesize marker")
        header.typesize = Int(Int32(truncatingIfNeeded: try reader.bigEndian(4)))
        try reader.expect(0xD2, "blocksize marker")
        header.blocksize = Int(Int32(truncatingIfNeeded: try reader.bigEndian(4)))
        try reader.expect(0xD2, "chunksize marker")
        header.chunksize = Int(Int32(truncatingIfNeeded: try reader.bigEndian(4)))
        try reader.expect(0xD1, "nthreads marker")
        header.compressThreads = Int16(truncatingIfNeeded: try reader.bigEndian(2))
        try reader.expect(0xD1, "nthreads marker")
        header.decompressThreads = Int16(truncatingIfNeeded: try reader.bigEndian(2))
        switch try reader.byte() {
        case 0xC2: header.hasVariableMetalayers = false
        case 0xC3: header.hasVariableMetalayers = true
        default: throw .badFrame("has_vlmeta marker")
        }
        try reader.expect(0xD8, "fixext16 marker")
        _ = try reader.byte()  // the filter count
        header.filters = try reader.raw(6)
        header.userCodec = try reader.byte()
        header.codecMeta = try reader.byte()
        header.filtersMeta = try reader.raw(6)
        header.otherFlags2 = try reader.byte()
        _ = try reader.byte()  // reserved
        try header.validateFixed()
        if bytes.count < header.headerLength { throw .badFrame("header shorter than header_len") }
        header.metalayers = try parseMetalayers(bytes, headerLength: header.headerLength)
        return header
    }

    /// header_len from the first bytes of a frame (at least 16 of them).
    static func parseLength(_ bytes: [UInt8]) throws(SwKasError) -> Int {
        guard bytes.count >= 16, bytes[0] == 0x9E, bytes[1] == 0xA8, bytes[10] == 0xD2 else {
            throw .badFrame("not a Blosc2 frame")
        }
        var reader = MsgPackReader(bytes, at: 11)
        let length = Int(Int32(truncatingIfNeeded: try reader.bigEndian(4)))
        if length < fixedSize { throw .badFrame("header_len") }
        return length
    }

    /// Checks the fields readers depend on (spec §7.1, frame level).
    private func validateFixed() throws(SwKasError) {
        if headerLength < Self.fixedSize || headerLength > frameLength { throw .badFrame("header_len") }
        let version = generalFlags & 0x0F
        if version > 3 { throw .unsupported("frame format version \(version)") }
        if (generalFlags >> 4) & 0x03 != 1 { throw .unsupported("frame offsets other than 64-bit") }
        if generalFlags & 0x80 != 0 || (generalFlags & 0x40 != 0 && nbytes > 0) {
            throw .unsupported("variable-size chunks or blocks")
        }
        if frameType > 1 { throw .badFrame("frame type") }
        if nbytes < 0 || cbytes < 0 { throw .badFrame("negative sizes") }
        if nbytes > 0 && chunksize <= 0 { throw .unsupported("variable-size chunks") }
        if typesize <= 0 { throw .badFrame("typesize") }
        // A sparse frame's chunks live in their own files, outside the frame.
        if frameType == 0 && cbytes > Int64(frameLength - headerLength) { throw .badFrame("cbytes") }
    }

    /// The metalayer section from 0x57: a map of names to absolute offsets,
    /// each pointing at a `c6` bin holding the value.
    private static func parseMetalayers(_ bytes: [UInt8], headerLength: Int) throws(SwKasError) -> [Metalayer] {
        var reader = MsgPackReader(Array(bytes[0..<headerLength]), at: fixedSize)
        if reader.position == headerLength { return [] }
        try reader.expect(0x93, "metalayers array")
        try reader.expect(0xCD, "metalayers map size")
        _ = try reader.bigEndian(2)
        let values = try reader.namedValues(maxCount: 16)
        var layers: [Metalayer] = []
        for (name, value) in values {
            if name.isEmpty || name.count > 31 { throw .badFrame("metalayer name") }
            layers.append(Metalayer(name: String(decoding: name, as: UTF8.self), value: value))
        }
        return layers
    }

    /// The header bytes; `headerLength` must already be `encodedLength`.
    func encoded() -> [UInt8] {
        var writer = MsgPackWriter()
        writer.bytes.append(0x9E)
        writer.bytes.append(0xA8)
        writer.bytes += Self.magic
        writer.int32(Int32(truncatingIfNeeded: headerLength))
        writer.bytes.append(0xCF)
        writer.bigEndian(UInt64(frameLength), width: 8)
        writer.bytes += [0xA4, generalFlags, frameType, codecFlags, otherFlags]
        writer.int64(nbytes)
        writer.int64(cbytes)
        writer.int32(Int32(truncatingIfNeeded: typesize))
        writer.int32(Int32(truncatingIfNeeded: blocksize))
        writer.int32(Int32(truncatingIfNeeded: chunksize))
        writer.bytes.append(0xD1)
        writer.bigEndian(UInt64(UInt16(bitPattern: compressThreads)), width: 2)
        writer.bytes.append(0xD1)
        writer.bigEndian(UInt64(UInt16(bitPattern: decompressThreads)), width: 2)
        writer.bytes.append(hasVariableMetalayers ? 0xC3 : 0xC2)
        writer.bytes += [0xD8, 6]
        writer.bytes += filters
        writer.bytes += [userCodec, codecMeta]
        writer.bytes += filtersMeta
        writer.bytes += [otherFlags2, 0]
        let names = metalayers.map { Array($0.name.utf8) }
        let mapSize = 7 + names.reduce(0) { $0 + 1 + $1.count + 5 }
        writer.bytes.append(0x93)
        writer.bytes.append(0xCD)
        writer.bigEndian(UInt64(mapSize), width: 2)
        writer.namedValues(zip(names, metalayers.map(\.value)).map { ($0, $1) }, firstValueOffset: Self.fixedSize + mapSize + 3)
        return writer.bytes
    }

    /// header_len of `encoded()`.
    var encodedLength: Int {
        Self.fixedSize + 10 + metalayers.reduce(0) { $0 + 1 + $1.name.utf8.count + 5 + 5 + $1.value.count }
    }
}

/// The variable-length metalayers at a frame's end (spec §4.6). Each
/// content is stored as a Blosc2 chunk of the value's bytes.
struct FrameTrailer: Equatable {
    /// name -> the stored chunk.
    var entries: [(name: String, chunk: [UInt8])] = []

    static func == (lhs: FrameTrailer, rhs: FrameTrailer) -> Bool {
        lhs.entries.map(\.name) == rhs.entries.map(\.name) && lhs.entries.map(\.chunk) == rhs.entries.map(\.chunk)
    }

    /// The trailer length recorded 22 bytes before the frame's end.
    static func length(fromTail tail: [UInt8]) throws(SwKasError) -> Int {
        guard tail.count >= 23, tail[tail.count - 23] == 0xCE else { throw .badFrame("trailer length marker") }
        var reader = MsgPackReader(tail, at: tail.count - 22)
        return Int(try reader.bigEndian(4))
    }

    /// Parses the whole trailer (its first byte at index 0 of `bytes`).
    static func parse(_ bytes: [UInt8]) throws(SwKasError) -> FrameTrailer {
        var reader = MsgPackReader(bytes)
        try reader.expect(0x94, "trailer array")
        let version = try reader.byte()
        if version > 1 { throw .badFrame("trailer version") }
        try reader.expect(0x93, "vlmetalayers array")
        try reader.expect(0xCD, "vlmetalayers map size")
        _ = try reader.bigEndian(2)
        var trailer = FrameTrailer()
        for (name, chunk) in try reader.namedValues(maxCount: Int(UInt16.max)) {
            if name.isEmpty { throw .badFrame("vlmetalayer name") }
            trailer.entries.append((String(decoding: name, as: UTF8.self), chunk))
        }
        return trailer
    }

    func encoded() -> [UInt8] {
        var writer = MsgPackWriter()
        let names = entries.map { Array($0.name.utf8) }
        let mapSize = 6 + names.reduce(0) { $0 + 1 + $1.count + 5 }
        writer.bytes += [0x94, 0x01, 0x93, 0xCD]
        writer.bigEndian(UInt64(mapSize), width: 2)
        writer.namedValues(zip(names, entries.map(\.chunk)).map { ($0, $1) }, firstValueOffset: 3 + mapSize + 3)
        let total = writer.bytes.count + 5 + 18
        writer.bytes.append(0xCE)
        writer.bigEndian(UInt64(total), width: 4)
        writer.bytes += [0xD8, 0x00] + [UInt8](repeating: 0, count: 16)
        return writer.bytes
    }
}

/// Where chunk i of a frame is: bytes in the chunks region, or implied.
enum ChunkLocation: Equatable {
    /// Offset from header_len.
    case stored(Int)
    case special(Blosc2Special)

    /// Decodes an index entry (spec §4.5).
    init(entry: Int64) throws(SwKasError) {
        if entry >= 0 {
            self = .stored(Int(entry))
            return
        }
        let bits = UInt64(bitPattern: entry)
        if bits & 0x00FF_FFFF_FFFF_FFFF != 0 { throw .badFrame("special offset") }
        let kind = bits >> 56
        if kind & 0x01 != 0 && kind & 0x7E == 0 {
            self = .special(.zeros)
        } else if kind & 0x04 != 0 && kind & 0x7B == 0 {
            self = .special(.uninitialized)
        } else if kind & 0x02 != 0 && kind & 0x7D == 0 {
            self = .special(.nan)
        } else {
            throw .badFrame("special offset kind")
        }
    }

    /// The index entry for this location.
    var entry: Int64 {
        switch self {
        case .stored(let offset): return Int64(offset)
        case .special(.nan): return Int64(bitPattern: 0x82 << 56)
        case .special(.uninitialized): return Int64(bitPattern: 0x84 << 56)
        case .special: return Int64(bitPattern: 0x81 << 56)
        }
    }
}

enum FrameIndex {
    /// The index chunk for `locations`: memcpyed, typesize 8 (spec §4.4).
    static func encode(_ locations: [ChunkLocation]) -> [UInt8] {
        let nbytes = 8 * locations.count
        let header = Blosc2ChunkHeader(
            version: 5, flags: 0x07, typesize: 8, nbytes: nbytes, blocksize: nbytes,
            cbytes: nbytes + Blosc2ChunkHeader.extendedSize,
            filters: [.noFilter, .noFilter, .noFilter, .noFilter, .noFilter, .shuffle], filtersMeta: [0, 0, 0, 0, 0, 0],
            codec: .blosclz, special: .none, headerSize: Blosc2ChunkHeader.extendedSize)
        var bytes = header.encoded()
        bytes.reserveCapacity(header.cbytes)
        for location in locations {
            let entry = UInt64(bitPattern: location.entry)
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: entry >> UInt64(shift))) }
        }
        return bytes
    }

    /// Decodes an index chunk of any form c-blosc2 writes into `count` locations.
    static func decode(_ chunk: [UInt8], count: Int) throws(SwKasError) -> [ChunkLocation] {
        let header = try typedThrows { try chunk.withUnsafeBytes { try Blosc2ChunkHeader.parse($0) } }
        if header.nbytes != 8 * count { throw .badFrame("index size") }
        let raw = try Blosc2Chunk.decompress(chunk)
        var locations: [ChunkLocation] = []
        locations.reserveCapacity(count)
        for index in 0..<count {
            var entry: UInt64 = 0
            for byte in (0..<8).reversed() { entry = entry << 8 | UInt64(raw[8 * index + byte]) }
            locations.append(try ChunkLocation(entry: Int64(bitPattern: entry)))
        }
        return locations
    }
}
