// The file format of spec §1 as written by KastoreWriter, the overflow-safe
// packer, and the read validation of spec §2.1 on hand-built stores.

import Testing
import SwKasTestSupport

@testable import SwKasCore

/// The 280 bytes of the spec's worked example (§1.7).
let workedExampleHex = """
    89 4b 41 53 0d 0a 1a 0a 01 00 00 00 03 00 00 00
    18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    04 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00
    01 00 00 00 00 00 00 00 08 01 00 00 00 00 00 00
    02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    01 00 00 00 00 00 00 00 01 01 00 00 00 00 00 00
    02 00 00 00 00 00 00 00 10 01 00 00 00 00 00 00
    01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    08 00 00 00 00 00 00 00 03 01 00 00 00 00 00 00
    01 00 00 00 00 00 00 00 18 01 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    61 61 62 62 00 00 00 00 ff ff ff ff 02 00 00 00
    07 00 00 00 00 00 00 00
    """
let workedExampleSHA256 = "8f32796ba98c0fffc8cd832d465f8fbb15ba811eed261e7b3644d1906d9f2671"

/// The 64 bytes of the empty store (§1.6).
let emptyStoreHex = "89 4b 41 53 0d 0a 1a 0a 01 00 00 00 00 00 00 00 40 00 00 00 00 00 00 00"
    + String(repeating: " 00", count: 40)

/// A one-element array of `type` holding `value`.
func singleton(_ type: KastoreType, _ value: Int) -> KastoreArray {
    switch type {
    case .int8: return .int8([Int8(value)])
    case .uint8: return .uint8([UInt8(value)])
    case .int16: return .int16([Int16(value)])
    case .uint16: return .uint16([UInt16(value)])
    case .int32: return .int32([Int32(value)])
    case .uint32: return .uint32([UInt32(value)])
    case .int64: return .int64([Int64(value)])
    case .uint64: return .uint64([UInt64(value)])
    case .float32: return .float32([Float(value)])
    case .float64: return .float64([Double(value)])
    }
}

/// A descriptor field of an encoded store.
private func descriptorField(_ bytes: [UInt8], item: Int, offset: Int) -> UInt64 {
    readLE(bytes, at: 64 + 64 * item + offset, as: UInt64.self)
}

@Suite("Format: encoding (spec §1)")
struct FormatEncodingTests {
    @Test("worked example (§1.7) encodes to exactly the spec's 280 bytes")
    func workedExample() throws {
        var writer = KastoreWriter()
        try writer.put("b", [] as [Float])
        try writer.put("ab", [7] as [UInt8])
        try writer.put("a", [-1, 2] as [Int32])
        let bytes = try writer.encoded()
        let expected = hexBytes(workedExampleHex)
        #expect(expected.count == 280)
        #expect(bytes.count == 280)
        #expect(bytes == expected)
        #expect(sha256Hex(bytes) == workedExampleSHA256)
        #expect(sha256Hex(expected) == workedExampleSHA256)
    }

    @Test("worked example: every insertion order gives the same bytes")
    func workedExampleInsertionOrder() throws {
        let items: [(String, KastoreArray)] = [
            ("b", .float32([])), ("ab", .uint8([7])), ("a", .int32([-1, 2])),
        ]
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        let expected = hexBytes(workedExampleHex)
        for order in orders {
            var writer = KastoreWriter()
            for index in order { try writer.put(items[index].0, items[index].1) }
            #expect(try writer.encoded() == expected, "order \(order)")
        }
    }

    @Test("SHA-256 helper matches the FIPS 180-4 test vectors")
    func sha256Vectors() {
        #expect(sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("empty store is the 64 bytes of §1.6")
    func emptyStore() throws {
        let bytes = try KastoreWriter().encoded()
        #expect(bytes.count == 64)
        #expect(bytes == hexBytes(emptyStoreHex))
        #expect(readLE(bytes, at: 16, as: UInt64.self) == 64)
    }

    @Test("ten 1-element arrays give 833 bytes with no trailing padding")
    func tenSingletons() throws {
        var writer = KastoreWriter()
        let types = Array(KastoreType.allCases.reversed())  // key_0 float64 ... key_9 int8
        for j in 0..<10 {
            try writer.put("key_\(j)", singleton(types[j], j + 1))
        }
        let bytes = try writer.encoded()
        #expect(bytes.count == 833)
        #expect(readLE(bytes, at: 16, as: UInt64.self) == 833)
        #expect(readLE(bytes, at: 12, as: UInt32.self) == 10)
        // Keys: 10 × 5 bytes from 704; arrays from 760.
        let expectedStarts: [UInt64] = [760, 768, 776, 784, 792, 800, 808, 816, 824, 832]
        for j in 0..<10 {
            #expect(descriptorField(bytes, item: j, offset: 8) == UInt64(704 + 5 * j))
            #expect(descriptorField(bytes, item: j, offset: 16) == 5)
            #expect(descriptorField(bytes, item: j, offset: 24) == expectedStarts[j])
            #expect(descriptorField(bytes, item: j, offset: 32) == 1)
            #expect(bytes[64 + 64 * j] == types[j].rawValue)
        }
        #expect(bytes[832] == 10)  // key_9: int8 10, the last byte
        #expect(readLE(bytes, at: 760, as: UInt64.self) == Double(1).bitPattern)  // key_0: float64 1.0
        #expect(readLE(bytes, at: 768, as: UInt32.self) == Float(2).bitPattern)  // key_1: float32 2.0
        if let golden = readBytes(goldenDir + "/ten_singletons.c.kas") {
            #expect(bytes == golden)
        }
    }

    @Test(
        "key order (§1.5): unsigned bytes, then shorter first",
        arguments: [
            ("a", "ab"), ("ab", "b"), ("a", "b"), ("Z", "a"), ("z", "é"), ("A", "a"), ("0", "A"),
            ("_", "a"), ("~", "é"), ("é", "ü"), ("\u{0}", "a"), ("a", "a\u{0}"), ("a\u{0}", "a\u{0}b"),
            ("a\u{0}b", "ab"), ("ü", "😀"), ("\u{FFFF}", "😀"),
        ])
    func keyOrderPairs(_ lower: String, _ higher: String) {
        let a = Array(lower.utf8)
        let b = Array(higher.utf8)
        a.withUnsafeBytes { ra in
            b.withUnsafeBytes { rb in
                #expect(KastoreKeyOrder.compare(ra, rb) < 0)
                #expect(KastoreKeyOrder.compare(rb, ra) > 0)
                #expect(KastoreKeyOrder.compare(ra, ra) == 0)
            }
        }
    }

    @Test("key order compares bytes as unsigned, and empty keys sort first")
    func keyOrderBytes() {
        let cases: [([UInt8], [UInt8])] = [
            ([0x7f], [0x80]), ([0x00], [0xff]), ([0xc3, 0xa9], [0xc3, 0xa9, 0x00]), ([], [0x00]),
            ([0x01, 0xff], [0x02]), ([0xff, 0xff], [0xff, 0xff, 0x00]),
        ]
        for (a, b) in cases {
            a.withUnsafeBytes { ra in
                b.withUnsafeBytes { rb in
                    #expect(KastoreKeyOrder.compare(ra, rb) < 0, "\(a) < \(b)")
                    #expect(KastoreKeyOrder.compare(rb, ra) > 0, "\(b) > \(a)")
                }
            }
        }
    }

    @Test("the writer lays out descriptors and keys in key order, NUL keys included")
    func writerKeyOrder() throws {
        let inserted: [[UInt8]] = [
            Array("é".utf8), Array("b".utf8), [0x61, 0x00, 0x62], Array("z".utf8), Array("ab".utf8), [0x00],
            Array("Z".utf8), [0x61, 0x00], Array("a".utf8), [0xff], [0x61, 0x62, 0x00],
        ]
        var writer = KastoreWriter()
        for (index, key) in inserted.enumerated() { try writer.put(keyBytes: key, .int16([Int16(index)])) }
        let bytes = try writer.encoded()
        let expectedOrder: [[UInt8]] = [
            [0x00], Array("Z".utf8), Array("a".utf8), [0x61, 0x00], [0x61, 0x00, 0x62], Array("ab".utf8),
            [0x61, 0x62, 0x00], Array("b".utf8), Array("z".utf8), Array("é".utf8), [0xff],
        ]
        let n = expectedOrder.count
        #expect(Int(readLE(bytes, at: 12, as: UInt32.self)) == n)
        var keys: [[UInt8]] = []
        var values: [Int16] = []
        for j in 0..<n {
            let start = Int(descriptorField(bytes, item: j, offset: 8))
            let length = Int(descriptorField(bytes, item: j, offset: 16))
            keys.append(Array(bytes[start..<(start + length)]))
            values.append(readLE(bytes, at: Int(descriptorField(bytes, item: j, offset: 24)), as: Int16.self))
        }
        #expect(keys == expectedOrder)
        // Each array follows its key: the value is the key's insertion index.
        #expect(values == expectedOrder.map { key in Int16(inserted.firstIndex(of: key)!) })
        // The key block is the keys back to back right after the descriptors.
        #expect(Array(bytes[(64 + 64 * n)..<(64 + 64 * n + expectedOrder.joined().count)]) == Array(expectedOrder.joined()))
    }

    @Test("a final empty array ends the store at its aligned start, padded with zeros")
    func lastArrayEmpty() throws {
        var writer = KastoreWriter()
        try writer.put("a", [1, 2, 3] as [UInt8])
        try writer.put("b", [] as [Double])
        let bytes = try writer.encoded()
        // Keys at 192 and 193; "a" at 200 (3 bytes); empty "b" at 208 = file_size.
        #expect(bytes.count == 208)
        #expect(readLE(bytes, at: 16, as: UInt64.self) == 208)
        #expect(descriptorField(bytes, item: 0, offset: 24) == 200)
        #expect(descriptorField(bytes, item: 1, offset: 24) == 208)
        #expect(descriptorField(bytes, item: 1, offset: 32) == 0)
        #expect(Array(bytes[194..<200]) == [0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[200..<203]) == [1, 2, 3])
        #expect(Array(bytes[203..<208]) == [0, 0, 0, 0, 0])
        if let golden = readBytes(goldenDir + "/last_array_empty.c.kas") {
            #expect(bytes == golden)
        }
    }

    @Test("empty arrays are 8-aligned and may share a start")
    func emptyArraysShareStart() throws {
        var writer = KastoreWriter()
        try writer.put("c", [] as [Double])
        try writer.put("a", [] as [Int8])
        try writer.put("b", [] as [Int16])
        let bytes = try writer.encoded()
        // Keys at 256..258, then all three arrays at 264, which is also the end.
        #expect(bytes.count == 264)
        for j in 0..<3 { #expect(descriptorField(bytes, item: j, offset: 24) == 264) }
        #expect(Array(bytes[259..<264]) == [0, 0, 0, 0, 0])

        var middle = KastoreWriter()
        try middle.put("a", [1] as [UInt8])
        try middle.put("b", [] as [Int32])
        try middle.put("c", [5] as [Int64])
        let m = try middle.encoded()
        // "a" at 264 (1 byte), empty "b" aligned to 272, "c" also at 272.
        #expect(m.count == 280)
        #expect(descriptorField(m, item: 0, offset: 24) == 264)
        #expect(descriptorField(m, item: 1, offset: 24) == 272)
        #expect(descriptorField(m, item: 2, offset: 24) == 272)
        #expect(Array(m[265..<272]) == [0, 0, 0, 0, 0, 0, 0])
        #expect(readLE(m, at: 272, as: Int64.self) == 5)
    }

    @Test("every array start is a multiple of 8, whatever the key and array sizes")
    func alignmentEverywhere() throws {
        var generator = SeededGenerator(seed: 7)
        for round in 0..<20 {
            var writer = KastoreWriter()
            let count = Int.random(in: 1...12, using: &generator)
            for j in 0..<count {
                let key = "k\(round)_\(j)" + String(repeating: "x", count: Int.random(in: 0...9, using: &generator))
                let type = KastoreType.allCases.randomElement(using: &generator)!
                let length = Int.random(in: 0...5, using: &generator)
                try writer.put(key, makeArray(type, [UInt8](repeating: 0xAB, count: length * type.elementSize)))
            }
            let bytes = try writer.encoded()
            var previousEnd = 64 + 64 * count
            for j in 0..<count {
                let start = Int(descriptorField(bytes, item: j, offset: 24))
                let elements = Int(descriptorField(bytes, item: j, offset: 32))
                let size = KastoreType(rawValue: bytes[64 + 64 * j])!.elementSize * elements
                #expect(start % 8 == 0)
                if j == 0 {
                    let keysEnd = 64 + 64 * count + (0..<count).map { Int(descriptorField(bytes, item: $0, offset: 16)) }.reduce(0, +)
                    #expect(start == (keysEnd + 7) / 8 * 8)
                    previousEnd = keysEnd
                } else {
                    #expect(start == (previousEnd + 7) / 8 * 8)
                }
                #expect(bytes[previousEnd..<start].allSatisfy { $0 == 0 })
                previousEnd = start + size
            }
            #expect(bytes.count == previousEnd)
        }
    }
}

@Suite("Format: KastorePacker")
struct PackerTests {
    @Test("packs the worked example")
    func workedExample() {
        var packer = KastorePacker(itemCount: 3)
        #expect(packer.offset == 256)
        #expect(packer.placeKey(length: 1) == 256)
        #expect(packer.placeKey(length: 2) == 257)
        #expect(packer.placeKey(length: 1) == 259)
        #expect(packer.placeArray(byteCount: 8) == 264)
        #expect(packer.placeArray(byteCount: 1) == 272)
        #expect(packer.placeArray(byteCount: 0) == 280)
        #expect(packer.offset == 280)
    }

    @Test("a key that overflows 2^64 is reported and changes nothing")
    func keyOverflow() {
        var packer = KastorePacker(itemCount: 1)
        #expect(packer.placeKey(length: UInt64.max) == nil)
        #expect(packer.placeKey(length: UInt64.max - 127) == nil)
        #expect(packer.offset == 128)
        #expect(packer.placeKey(length: UInt64.max - 128) == 128)
        #expect(packer.offset == UInt64.max)
        #expect(packer.placeKey(length: 1) == nil)
        #expect(packer.placeKey(length: 0) == UInt64.max)
        #expect(packer.offset == UInt64.max)
    }

    @Test("a round-up past 2^64 is reported, not wrapped to 0")
    func roundUpOverflow() {
        for key in [UInt64.max - 128, UInt64.max - 128 - 2, UInt64.max - 128 - 6] {
            var packer = KastorePacker(itemCount: 1)
            #expect(packer.placeKey(length: key) == 128)
            let before = packer.offset
            #expect(packer.placeArray(byteCount: 0) == nil, "key end \(before)")
            #expect(packer.offset == before)
        }
        // 2^64 - 8 is aligned: an empty array fits there, one more byte does not.
        var packer = KastorePacker(itemCount: 1)
        #expect(packer.placeKey(length: UInt64.max - 128 - 7) == 128)
        #expect(packer.offset == UInt64.max - 7)
        #expect(packer.placeArray(byteCount: 8) == nil)
        #expect(packer.placeArray(byteCount: 7) == UInt64.max - 7)
        #expect(packer.offset == UInt64.max)
        #expect(packer.placeArray(byteCount: 0) == nil)
    }

    @Test("an array that overflows after alignment is reported")
    func arrayOverflow() {
        var packer = KastorePacker(itemCount: 0)
        #expect(packer.placeKey(length: 1) == 64)
        #expect(packer.placeArray(byteCount: UInt64.max - 72) == 72)
        #expect(packer.offset == UInt64.max)
        var other = KastorePacker(itemCount: 0)
        #expect(other.placeKey(length: 1) == 64)
        #expect(other.placeArray(byteCount: UInt64.max - 71) == nil)
        #expect(other.offset == 65)
    }

    @Test("the largest item count still fits")
    func hugeItemCount() {
        let packer = KastorePacker(itemCount: Int(UInt32.max))
        #expect(packer.offset == 64 + 64 * UInt64(UInt32.max))
    }

    @Test("the encoder rejects sizes past the address space with .noMemory")
    func encoderLayoutOverflow() {
        #expect(caught { () throws(SwKasError) in try KastoreEncoder.layout([KastoreEntry(keyLength: 1, type: .float64, count: Int.max / 4)]) } == .noMemory)
        #expect(caught { () throws(SwKasError) in try KastoreEncoder.layout([KastoreEntry(keyLength: Int.max, type: .int8, count: 0)]) } == .noMemory)
        let layout = try? KastoreEncoder.layout([
            KastoreEntry(keyLength: 1, type: .int32, count: 2), KastoreEntry(keyLength: 2, type: .uint8, count: 1),
            KastoreEntry(keyLength: 1, type: .float32, count: 0),
        ])
        #expect(layout?.arrayStarts == [264, 272, 280])
        #expect(layout?.fileSize == 280)
    }
}

/// A 64-byte header built field by field.
private func header(
    magic: [UInt8] = KastoreFormat.magic, major: UInt16 = 1, minor: UInt16 = 0, n: UInt32, fileSize: UInt64
) -> [UInt8] {
    magic + le(major) + le(minor) + le(n) + le(fileSize) + [UInt8](repeating: 0, count: 40)
}

private func parseHeaderError(_ bytes: [UInt8]) -> SwKasError? {
    bytes.withUnsafeBytes { raw in caught { () throws(SwKasError) in try KastoreDecoder.parseHeader(raw) } }
}

/// The worked example, tampered by `change`, decoded from memory.
private func tampered(_ change: (inout ModelStore) -> Void, physicalSize: Int? = nil) -> SwKasError? {
    var store = ModelStore(workedExampleItems())
    change(&store)
    switch decodeMemory(store.bytes(physicalSize: physicalSize)) {
    case .success: return nil
    case .failure(let error): return error
    }
}

@Suite("Format: read validation (spec §2.1)")
struct DecoderTests {
    @Test("the model builder reproduces the worked example, which decodes")
    func modelMatchesSpec() throws {
        let bytes = ModelStore(workedExampleItems()).bytes()
        #expect(bytes == hexBytes(workedExampleHex))
        let decoded = try decodeMemory(bytes).get()
        #expect(decoded.header.itemCount == 3)
        #expect(decoded.header.fileSize == 280)
        #expect(decoded.header.versionMajor == 1 && decoded.header.versionMinor == 0)
        #expect(decoded.keys == [[0x61], [0x61, 0x62], [0x62]])
        #expect(decoded.descriptors.map(\.type) == [.int32, .uint8, .float32])
        #expect(decoded.descriptors.map(\.arrayStart) == [264, 272, 280])
        #expect(decoded.descriptors.map(\.count) == [2, 1, 0])
    }

    @Test("row 2: no bytes at all is end of file")
    func emptyInput() {
        #expect(decodeMemory([]).error == .endOfFile)
    }

    @Test("row 3: a short header is a format error", arguments: [1, 7, 8, 12, 16, 24, 32, 63])
    func shortHeader(_ length: Int) {
        let full = hexBytes(workedExampleHex)
        #expect(decodeMemory(Array(full.prefix(length))).error == .badFileFormat)
        #expect(decodeMemory(Array(hexBytes(emptyStoreHex).prefix(length))).error == .badFileFormat)
    }

    @Test("row 4: each magic byte is checked", arguments: 0..<8)
    func badMagic(_ index: Int) {
        var magic = KastoreFormat.magic
        magic[index] ^= 0x01
        #expect(parseHeaderError(header(magic: magic, n: 0, fileSize: 64)) == .badFileFormat)
        var zeroed = KastoreFormat.magic
        zeroed[index] = 0
        #expect(parseHeaderError(header(magic: zeroed, n: 0, fileSize: 64)) == .badFileFormat)
    }

    @Test("row 4 before row 5: bad magic with major 2 is a format error")
    func magicBeforeVersion() {
        var magic = KastoreFormat.magic
        magic[3] = 0
        #expect(parseHeaderError(header(magic: magic, major: 2, n: 3, fileSize: 280)) == .badFileFormat)
        #expect(parseHeaderError(header(magic: [UInt8](repeating: 0, count: 8), major: 0, n: 0, fileSize: 0)) == .badFileFormat)
    }

    @Test(
        "row 5: the major version is checked before any size",
        arguments: [
            (UInt16(0), UInt32(3), UInt64(280)), (0, 3, 0), (0, 0, 65), (0, 0xffff_ffff, 280),
            (2, 3, 280), (2, 3, 1), (2, 0, 65), (2, 0xffff_ffff, 280), (0x100, 3, 280), (0xffff, 0, 0),
        ] as [(UInt16, UInt32, UInt64)])
    func versions(_ major: UInt16, _ n: UInt32, _ fileSize: UInt64) {
        let expected: SwKasError = major < 1 ? .versionTooOld : .versionTooNew
        #expect(parseHeaderError(header(major: major, n: n, fileSize: fileSize)) == expected)
        // Through the full decoder too, with only the header present.
        #expect(decodeMemory(header(major: major, n: n, fileSize: fileSize)).error == expected)
    }

    @Test("the minor version is ignored")
    func minorIgnored() throws {
        for minor: UInt16 in [1, 7, 0xffff] {
            let decoded = try decodeMemory(header(minor: minor, n: 0, fileSize: 64)).get()
            #expect(decoded.header.versionMinor == minor)
            var store = ModelStore(workedExampleItems())
            store.minor = minor
            #expect(decodeMemory(store.bytes()).error == nil)
        }
    }

    @Test("row 6: file_size below 64", arguments: [UInt64(0), 1, 63])
    func fileSizeTooSmall(_ size: UInt64) {
        #expect(parseHeaderError(header(n: 3, fileSize: size)) == .badFileFormat)
        #expect(parseHeaderError(header(n: 0, fileSize: size)) == .badFileFormat)
    }

    @Test("row 7: n = 0 requires file_size = 64", arguments: [UInt64(65), 72, 128, 280, UInt64.max])
    func emptyStoreSize(_ size: UInt64) {
        #expect(parseHeaderError(header(n: 0, fileSize: size)) == .badFileFormat)
        #expect(decodeMemory(header(n: 0, fileSize: size) + [UInt8](repeating: 0, count: 300)).error == .badFileFormat)
    }

    @Test("row 7: n = 0 with file_size 64 reads exactly the header, trailing bytes ignored")
    func emptyStoreValid() throws {
        let decoded = try decodeMemory(header(n: 0, fileSize: 64) + [UInt8](repeating: 0xEE, count: 200)).get()
        #expect(decoded.header.itemCount == 0)
        #expect(decoded.descriptors.isEmpty)
    }

    @Test(
        "row 8: 64 + 64n beyond file_size",
        arguments: [
            (UInt32(1), UInt64(64)), (1, 127), (3, 255), (4, 280), (1000, 280), (0x8000_0000, 280),
            (0xffff_ffff, 280), (0xffff_ffff, 64 + 64 * 0xffff_fffe),
        ] as [(UInt32, UInt64)])
    func descriptorsBeyondFileSize(_ n: UInt32, _ size: UInt64) {
        #expect(parseHeaderError(header(n: n, fileSize: size)) == .badFileFormat)
    }

    @Test("row 8 boundary: 64 + 64n = file_size passes the header check")
    func descriptorsExactlyFit() throws {
        let parsed = try header(n: 0xffff_ffff, fileSize: 64 + 64 * 0xffff_ffff).withUnsafeBytes {
            (raw) throws(SwKasError) in try KastoreDecoder.parseHeader(raw)
        }
        #expect(parsed.itemCount == 0xffff_ffff)
        #expect(parsed.keysStart == 64 + 64 * 0xffff_ffff)
    }

    @Test("row 9: a short descriptor block is a format error", arguments: [64, 96, 128, 255])
    func truncatedDescriptors(_ length: Int) {
        #expect(decodeMemory(Array(hexBytes(workedExampleHex).prefix(length))).error == .badFileFormat)
    }

    @Test("memory input: a descriptor block larger than the input is a format error before allocating")
    func hugeDescriptorBlockInMemory() {
        // n = 2^32 - 1 and file_size = 2^64 - 1 pass row 8; 256 GiB of
        // descriptors cannot be in 280 bytes. (A stream would try to allocate.)
        var bytes = hexBytes(workedExampleHex)
        bytes.replaceSubrange(12..<16, with: le(UInt32.max))
        bytes.replaceSubrange(16..<24, with: le(UInt64.max))
        #expect(decodeMemory(bytes).error == .badFileFormat)
        bytes.replaceSubrange(16..<24, with: le(UInt64(1) << 40))
        bytes.replaceSubrange(12..<16, with: le(UInt32(1000)))
        #expect(decodeMemory(bytes).error == .badFileFormat)
    }

    @Test("row 10a: type codes 10 to 255 are bad types", arguments: [UInt8(10), 11, 127, 128, 200, 255])
    func badTypeCode(_ code: UInt8) {
        for item in 0..<3 {
            #expect(tampered { $0.items[item].type = code } == .badType, "item \(item)")
        }
    }

    @Test("row 10a: a same-size type change keeps the layout valid, a size change breaks packing")
    func typeChanges() {
        #expect(tampered { $0.items[0].type = 8; $0.items[1].type = 0 } == nil)  // int32→float32, uint8→int8
        #expect(tampered { $0.items[0].type = 6 } == .badFileFormat)  // int32→int64: 16 bytes, packing breaks
    }

    @Test("row 10b: key_len 0 is a format error", arguments: 0..<3)
    func zeroKeyLength(_ item: Int) {
        #expect(
            tampered {
                $0.items[item].key = []
                $0.canonicalLayout()
            } == .badFileFormat)
    }

    @Test("row 10b: a single item with an empty key and packed layout")
    func zeroKeyLengthSingle() {
        var store = ModelStore([ModelItem([], type: 1, data: [9])])
        store.canonicalLayout()
        #expect(decodeMemory(store.bytes()).error == .badFileFormat)
    }

    @Test(
        "row 10c: key ranges outside the file, overflow-safe",
        arguments: [
            (0, UInt64(281), UInt64(1)), (2, 280, 1), (1, UInt64.max, 2), (0, UInt64(1) << 63, 1),
            (0, 0x100, UInt64.max), (2, 0x103, 280 - 0x103 + 1), (0, 0x100, UInt64.max - 0xfe),
            (0, 0x100, UInt64.max - 0xff), (0, UInt64.max, 1), (1, 0x101, UInt64(1) << 63),
        ] as [(Int, UInt64, UInt64)])
    func keyRange(_ item: Int, _ keyStart: UInt64, _ keyLength: UInt64) {
        var bytes = ModelStore(workedExampleItems()).bytes()
        bytes.replaceSubrange((64 + 64 * item + 8)..<(64 + 64 * item + 16), with: le(keyStart))
        bytes.replaceSubrange((64 + 64 * item + 16)..<(64 + 64 * item + 24), with: le(keyLength))
        #expect(decodeMemory(bytes).error == .badFileFormat)
    }

    @Test("row 10c passes but row 11 fails: key_len reaching exactly file_size")
    func keyToEnd() {
        var bytes = ModelStore(workedExampleItems()).bytes()
        bytes.replaceSubrange((64 + 128 + 16)..<(64 + 128 + 24), with: le(UInt64(280 - 0x103)))
        #expect(decodeMemory(bytes).error == .badFileFormat)
    }

    @Test(
        "row 10d: array ranges outside the file, overflow-safe",
        arguments: [
            (0, UInt64(288), UInt64(2)), (0, UInt64.max - 7, 2), (2, 280, 1), (0, 0x108, UInt64.max),
            (1, 0x110, 9), (0, 0x108, (UInt64(1) << 62) + 2), (2, 0x118, UInt64(1) << 62),
            (0, 0x108, UInt64(1) << 62), (1, UInt64.max, 0), (0, 0x108, UInt64.max / 4 + 1),
        ] as [(Int, UInt64, UInt64)])
    func arrayRange(_ item: Int, _ arrayStart: UInt64, _ count: UInt64) {
        var bytes = ModelStore(workedExampleItems()).bytes()
        bytes.replaceSubrange((64 + 64 * item + 24)..<(64 + 64 * item + 32), with: le(arrayStart))
        bytes.replaceSubrange((64 + 64 * item + 32)..<(64 + 64 * item + 40), with: le(count))
        #expect(decodeMemory(bytes).error == .badFileFormat)
    }

    @Test("row 10d: element counts whose byte size wraps to the real size are rejected")
    func wrappingCounts() {
        // float64 with 2^61 + 2 elements: × 8 wraps to 16 bytes.
        var f64 = ModelStore([ModelItem([0x61], type: 9, data: [UInt8](repeating: 0, count: 16))])
        f64.items[0].count = (UInt64(1) << 61) + 2
        #expect(decodeMemory(f64.bytes()).error == .badFileFormat)
        // uint16 with 2^63 + 3 elements: × 2 wraps to 6 bytes.
        var u16 = ModelStore([ModelItem([0x61], type: 3, data: [UInt8](repeating: 0, count: 6))])
        u16.items[0].count = (UInt64(1) << 63) + 3
        #expect(decodeMemory(u16.bytes()).error == .badFileFormat)
        // The same stores with honest counts decode.
        #expect(decodeMemory(ModelStore([ModelItem([0x61], type: 9, data: [UInt8](repeating: 0, count: 16))]).bytes()).error == nil)
    }

    @Test("row 10d: an array may extend into the padding when the layout stays packed")
    func arrayIntoPadding() throws {
        var bytes = ModelStore(workedExampleItems()).bytes()
        bytes.replaceSubrange((64 + 64 + 32)..<(64 + 64 + 40), with: le(UInt64(8)))  // "ab": 1 → 8 uint8
        let decoded = try decodeMemory(bytes).get()
        #expect(decoded.descriptors[1].count == 8)
    }

    @Test("row 10 order: a bad type is reported only if no earlier descriptor failed (b)–(d)")
    func descriptorErrorOrder() {
        func patch(_ edits: [(Int, Int, [UInt8])]) -> SwKasError? {
            var bytes = ModelStore(workedExampleItems()).bytes()
            for (item, offset, value) in edits {
                let at = 64 + 64 * item + offset
                bytes.replaceSubrange(at..<(at + value.count), with: value)
            }
            return decodeMemory(bytes).error
        }
        // d0 type 10 before d1's key_len 0.
        #expect(patch([(0, 0, [10]), (1, 16, le(UInt64(0)))]) == .badType)
        // d0 key_len 0 before d1 type 255.
        #expect(patch([(0, 16, le(UInt64(0))), (1, 0, [255])]) == .badFileFormat)
        // d0 key_start 2^64-1 before d1 type 10.
        #expect(patch([(0, 8, le(UInt64.max)), (1, 0, [10])]) == .badFileFormat)
        // d0 array_len 2^64-1 before d2 type 10.
        #expect(patch([(0, 32, le(UInt64.max)), (2, 0, [10])]) == .badFileFormat)
        // d0 array_start past the end before d1 type 10.
        #expect(patch([(0, 24, le(UInt64(1) << 40)), (1, 0, [10])]) == .badFileFormat)
        // Row 10 before row 11: d0 key_start off by one (a packing error) and d1 type 10.
        #expect(patch([(0, 8, le(UInt64(0x101))), (1, 0, [10])]) == .badType)
        // d0 type 255 with everything else broken too.
        #expect(
            patch([(0, 0, [255]), (0, 8, le(UInt64.max)), (0, 16, le(UInt64(0))), (0, 32, le(UInt64.max))]) == .badType)
    }

    @Test(
        "row 11: packing mismatches",
        arguments: [
            ("d1 key_start + 1", 1, 8, UInt64(0x102)), ("d0 key_start - 1", 0, 8, 0xff),
            ("d0 key_start = d1's", 0, 8, 0x101), ("d0 key_len 2", 0, 16, 2),
            ("d0 array_start unaligned", 0, 24, 0x104), ("d0 array_start + 8", 0, 24, 0x110),
            ("d1 array_start - 8", 1, 24, 0x108), ("empty d2 moved back", 2, 24, 0x110),
            ("d0 array_start 0", 0, 24, 0),
        ] as [(String, Int, Int, UInt64)])
    func packingMismatch(_ name: String, _ item: Int, _ offset: Int, _ value: UInt64) {
        var bytes = ModelStore(workedExampleItems()).bytes()
        let at = 64 + 64 * item + offset
        bytes.replaceSubrange(at..<(at + 8), with: le(value))
        #expect(decodeMemory(bytes).error == .badFileFormat, "\(name)")
    }

    @Test(
        "row 11: a header file_size that differs from the layout's end",
        arguments: [UInt64(281), 288, 279, 272, UInt64(1) << 63, UInt64.max])
    func fileSizeMismatch(_ size: UInt64) {
        var bytes = ModelStore(workedExampleItems()).bytes()
        bytes.replaceSubrange(16..<24, with: le(size))
        #expect(decodeMemory(bytes + [UInt8](repeating: 0, count: 8)).error == .badFileFormat)
    }

    @Test("row 11: a key end whose round-up would wrap past 2^64 is a format error")
    func roundUpWraps() {
        // One item, key [128, 2^64 - 3), array_start 0: a wrapping round-up
        // would compute 0 and accept it.
        var bytes = header(n: 1, fileSize: UInt64.max)
        bytes += [1] + [UInt8](repeating: 0, count: 7)
        bytes += le(UInt64(128)) + le(UInt64.max - 2 - 128) + le(UInt64(0)) + le(UInt64(0))
        bytes += [UInt8](repeating: 0, count: 24)
        bytes += [UInt8](repeating: 0x61, count: 16)
        #expect(decodeMemory(bytes).error == .badFileFormat)
        // Directly: the descriptor parser on the same block.
        let error = bytes.withUnsafeBytes { raw in
            caught { () throws(SwKasError) in
                let parsed = try KastoreDecoder.parseHeader(raw)
                return try KastoreDecoder.parseDescriptors(UnsafeRawBufferPointer(rebasing: raw[64..<128]), header: parsed)
            }
        }
        #expect(error == .badFileFormat)
    }

    @Test("row 12: a key block cut short", arguments: [256, 258, 259, 262, 263])
    func truncatedKeys(_ length: Int) {
        #expect(decodeMemory(Array(hexBytes(workedExampleHex).prefix(length))).error == .badFileFormat)
    }

    @Test("row 12 in memory: a key block of 2^63 bytes is .badFileFormat, with nothing allocated")
    func hugeKeyBlock() {
        // Packed layout: one item with a 2^63-byte key. The memory input knows
        // it holds far less, so this is a short read before any allocation.
        var bytes = header(n: 1, fileSize: (UInt64(1) << 63) + 128)
        bytes += [1] + [UInt8](repeating: 0, count: 7)
        bytes += le(UInt64(128)) + le(UInt64(1) << 63) + le((UInt64(1) << 63) + 128) + le(UInt64(0))
        bytes += [UInt8](repeating: 0, count: 24 + 64)
        #expect(decodeMemory(bytes).error == .badFileFormat)
        // A large but addressable key block (2^40 bytes) that the input does
        // not hold is a format error, with nothing allocated.
        var smaller = header(n: 1, fileSize: (UInt64(1) << 40) + 128)
        smaller += [1] + [UInt8](repeating: 0, count: 7)
        smaller += le(UInt64(128)) + le(UInt64(1) << 40) + le((UInt64(1) << 40) + 128) + le(UInt64(0))
        smaller += [UInt8](repeating: 0, count: 24 + 64)
        #expect(decodeMemory(smaller).error == .badFileFormat)
    }

    @Test(
        "row 13: unsorted and duplicate keys are rejected",
        arguments: [
            ["c", "b", "a"], ["a", "c", "b"], ["b", "a", "c"], ["ab", "a"], ["a", "Z"], ["é", "z"], ["a", "a", "a"],
            ["a", "a", "c"], ["a", "b", "b"], ["b", "b"], ["a\u{0}", "a"],
        ])
    func unsortedKeys(_ keys: [String]) {
        let items = keys.enumerated().map { ModelItem(Array($1.utf8), type: 4, data: le(Int32($0))) }
        #expect(decodeMemory(ModelStore(items).bytes()).error == .badFileFormat)
    }

    @Test("row 13: duplicates are rejected even when their types differ")
    func duplicateTypes() {
        let items = [ModelItem([0x78], type: 9, data: le(Double(1.5).bitPattern)), ModelItem([0x78], type: 3, data: le(UInt16(7)))]
        #expect(decodeMemory(ModelStore(items).bytes()).error == .badFileFormat)
    }

    @Test(
        "row 13: sorted keys pass, with unsigned comparison",
        arguments: [
            ["Z", "a"], ["a", "ab", "b"], ["z", "é"], ["\u{0}", "a", "a\u{0}", "a\u{0}b"], ["a", "aa", "ab", "abc", "b"],
        ])
    func sortedKeys(_ keys: [String]) throws {
        let items = keys.enumerated().map { ModelItem(Array($1.utf8), type: 1, data: [UInt8($0)]) }
        let decoded = try decodeMemory(ModelStore(items).bytes()).get()
        #expect(decoded.keys == keys.map { Array($0.utf8) })
    }

    @Test("reserved bytes, padding contents and trailing data are ignored")
    func ignoredBytes() throws {
        var bytes = ModelStore(workedExampleItems()).bytes()
        for at in 24..<64 { bytes[at] = 0xff }
        for item in 0..<3 {
            for at in 1..<8 { bytes[64 + 64 * item + at] = 0x5a }
            for at in 40..<64 { bytes[64 + 64 * item + at] = 0xa5 }
        }
        for at in 0x104..<0x108 { bytes[at] = 0x77 }
        for at in 0x111..<0x118 { bytes[at] = 0x88 }
        bytes += [UInt8](repeating: 0x99, count: 13)
        let decoded = try decodeMemory(bytes).get()
        #expect(decoded.keys == [[0x61], [0x61, 0x62], [0x62]])
        #expect(decoded.header.fileSize == 280)
    }

    @Test("short-read rule: at EOF or without errno a format error, otherwise .io")
    func shortReadRule() {
        #expect(KastoreDecoder.shortReadError(KastoreReadResult(count: 3, atEnd: true, errno: 0)) == .badFileFormat)
        #expect(KastoreDecoder.shortReadError(KastoreReadResult(count: 3, atEnd: false, errno: 0)) == .badFileFormat)
        #expect(KastoreDecoder.shortReadError(KastoreReadResult(count: 0, atEnd: true, errno: 21)) == .badFileFormat)
        #expect(KastoreDecoder.shortReadError(KastoreReadResult(count: 0, atEnd: false, errno: 21)) == .io(errno: 21))
    }
}

extension Result {
    /// The failure, or nil.
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
