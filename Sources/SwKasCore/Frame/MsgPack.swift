/// The subset of MessagePack that Blosc2 frames use (spec §4, §5): a
/// bounds-checked big-endian reader that never traps on hostile bytes, and
/// writers for the fixed-width forms c-blosc2's readers expect.
struct MsgPackReader {
    let bytes: [UInt8]
    var position: Int
    /// Frames and b2nd metalayers nest at most this deep; deeper is malformed.
    private static let maxDepth = 32

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// One byte, advancing.
    mutating func byte() throws(SwKasError) -> UInt8 {
        guard position >= 0, position < bytes.count else { throw .badFrame("msgpack past the end") }
        defer { position += 1 }
        return bytes[position]
    }

    /// A big-endian unsigned integer of `width` bytes, advancing.
    mutating func bigEndian(_ width: Int) throws(SwKasError) -> UInt64 {
        guard position >= 0, width <= bytes.count - position else { throw .badFrame("msgpack past the end") }
        var value: UInt64 = 0
        for offset in 0..<width { value = value << 8 | UInt64(bytes[position + offset]) }
        position += width
        return value
    }

    /// `count` raw bytes, advancing.
    mutating func raw(_ count: Int) throws(SwKasError) -> [UInt8] {
        guard position >= 0, count >= 0, count <= bytes.count - position else {
            throw .badFrame("msgpack past the end")
        }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    /// Requires the marker byte `expected`.
    mutating func expect(_ expected: UInt8, _ what: String) throws(SwKasError) {
        if try byte() != expected { throw .badFrame(what) }
    }

    /// An array header (fixarray, array16, array32): the element count.
    mutating func arrayCount() throws(SwKasError) -> Int {
        let marker = try byte()
        switch marker {
        case 0x90...0x9F: return Int(marker & 0x0F)
        case 0xDC: return Int(try bigEndian(2))
        case 0xDD: return Int(try bigEndian(4))
        default: throw .badFrame("expected a msgpack array")
        }
    }

    /// A map header (fixmap, map16, map32): the entry count.
    mutating func mapCount() throws(SwKasError) -> Int {
        let marker = try byte()
        switch marker {
        case 0x80...0x8F: return Int(marker & 0x0F)
        case 0xDE: return Int(try bigEndian(2))
        case 0xDF: return Int(try bigEndian(4))
        default: throw .badFrame("expected a msgpack map")
        }
    }

    /// Any integer form, as Int64 (uint64 above Int64.max is malformed here).
    mutating func integer() throws(SwKasError) -> Int64 {
        let marker = try byte()
        switch marker {
        case 0x00...0x7F: return Int64(marker)
        case 0xE0...0xFF: return Int64(Int8(bitPattern: marker))
        case 0xCC: return Int64(try bigEndian(1))
        case 0xCD: return Int64(try bigEndian(2))
        case 0xCE: return Int64(try bigEndian(4))
        case 0xCF:
            let value = try bigEndian(8)
            guard value <= UInt64(Int64.max) else { throw .badFrame("integer too large") }
            return Int64(value)
        case 0xD0: return Int64(Int8(truncatingIfNeeded: try bigEndian(1)))
        case 0xD1: return Int64(Int16(truncatingIfNeeded: try bigEndian(2)))
        case 0xD2: return Int64(Int32(truncatingIfNeeded: try bigEndian(4)))
        case 0xD3: return Int64(bitPattern: try bigEndian(8))
        default: throw .badFrame("expected a msgpack integer")
        }
    }

    /// A string (fixstr, str8/16/32) as its bytes.
    mutating func string() throws(SwKasError) -> [UInt8] {
        let marker = try byte()
        let count: Int
        switch marker {
        case 0xA0...0xBF: count = Int(marker & 0x1F)
        case 0xD9: count = Int(try bigEndian(1))
        case 0xDA: count = Int(try bigEndian(2))
        case 0xDB: count = Int(try bigEndian(4))
        default: throw .badFrame("expected a msgpack string")
        }
        return try raw(count)
    }

    /// A frame's name -> value section (spec §4.3, §4.6): a map of names to
    /// `d2` offsets (from the start of `bytes`), each pointing at a `c6` bin.
    mutating func namedValues(maxCount: Int) throws(SwKasError) -> [(name: [UInt8], value: [UInt8])] {
        let count = try mapCount()
        if count > maxCount { throw .badFrame("too many metalayers") }
        var result: [(name: [UInt8], value: [UInt8])] = []
        for _ in 0..<count {
            let name = try string()
            let offset = Int(try integer())
            var valueReader = MsgPackReader(bytes, at: offset)
            try valueReader.expect(0xC6, "metalayer value marker")
            let length = Int(try valueReader.bigEndian(4))
            result.append((name, try valueReader.raw(length)))
        }
        return result
    }

    /// Skips one value of any type (nesting bounded).
    mutating func skip(depth: Int = 0) throws(SwKasError) {
        if depth > Self.maxDepth { throw .badFrame("msgpack nested too deeply") }
        let marker = try byte()
        switch marker {
        case 0x00...0x7F, 0xE0...0xFF, 0xC0, 0xC2, 0xC3: return
        case 0x80...0x8F: try skipValues(2 * Int(marker & 0x0F), depth: depth)
        case 0x90...0x9F: try skipValues(Int(marker & 0x0F), depth: depth)
        case 0xA0...0xBF: _ = try raw(Int(marker & 0x1F))
        case 0xC4, 0xD9: _ = try raw(Int(try bigEndian(1)))
        case 0xC5, 0xDA: _ = try raw(Int(try bigEndian(2)))
        case 0xC6, 0xDB: _ = try raw(Int(try bigEndian(4)))
        case 0xC7: _ = try raw(Int(try bigEndian(1)) + 1)
        case 0xC8: _ = try raw(Int(try bigEndian(2)) + 1)
        case 0xC9: _ = try raw(Int(try bigEndian(4)) + 1)
        case 0xCA: _ = try raw(4)
        case 0xCB: _ = try raw(8)
        case 0xCC, 0xD0: _ = try raw(1)
        case 0xCD, 0xD1: _ = try raw(2)
        case 0xCE, 0xD2: _ = try raw(4)
        case 0xCF, 0xD3: _ = try raw(8)
        case 0xD4: _ = try raw(2)
        case 0xD5: _ = try raw(3)
        case 0xD6: _ = try raw(5)
        case 0xD7: _ = try raw(9)
        case 0xD8: _ = try raw(17)
        case 0xDC: try skipValues(Int(try bigEndian(2)), depth: depth)
        case 0xDD: try skipValues(Int(try bigEndian(4)), depth: depth)
        case 0xDE: try skipValues(2 * Int(try bigEndian(2)), depth: depth)
        case 0xDF: try skipValues(2 * Int(try bigEndian(4)), depth: depth)
        default: throw .badFrame("unknown msgpack marker")  // 0xC1 is never used
        }
    }

    private mutating func skipValues(_ count: Int, depth: Int) throws(SwKasError) {
        for _ in 0..<count { try skip(depth: depth + 1) }
    }
}

/// Appends MessagePack in the fixed widths Blosc2 frames use.
struct MsgPackWriter {
    var bytes: [UInt8] = []

    mutating func bigEndian(_ value: UInt64, width: Int) {
        for shift in stride(from: 8 * (width - 1), through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    /// `d3` int64.
    mutating func int64(_ value: Int64) {
        bytes.append(0xD3)
        bigEndian(UInt64(bitPattern: value), width: 8)
    }

    /// `d2` int32.
    mutating func int32(_ value: Int32) {
        bytes.append(0xD2)
        bigEndian(UInt64(UInt32(bitPattern: value)), width: 4)
    }

    /// The name -> value section read by `MsgPackReader.namedValues`: names
    /// with `d2` offsets, the first value's `c6` at `firstValueOffset`.
    mutating func namedValues(_ entries: [(name: [UInt8], value: [UInt8])], firstValueOffset: Int) {
        bytes.append(0xDE)
        bigEndian(UInt64(entries.count), width: 2)
        var valueOffset = firstValueOffset
        for entry in entries {
            fixString(entry.name)
            int32(Int32(truncatingIfNeeded: valueOffset))
            valueOffset += 5 + entry.value.count
        }
        bytes.append(0xDC)
        bigEndian(UInt64(entries.count), width: 2)
        for entry in entries {
            bytes.append(0xC6)
            bigEndian(UInt64(entry.value.count), width: 4)
            bytes += entry.value
        }
    }

    /// A fixstr (at most 31 bytes; callers check).
    mutating func fixString(_ value: [UInt8]) {
        bytes.append(0xA0 | UInt8(truncatingIfNeeded: value.count))
        bytes += value
    }
}
