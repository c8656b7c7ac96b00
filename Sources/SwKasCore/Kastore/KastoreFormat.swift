#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fixed numbers of kastore file format 1.0.
public enum KastoreFormat {
    /// The eight bytes every store starts with: `"\x89KAS\r\n\x1a\n"`.
    public static let magic: [UInt8] = [0x89, 0x4B, 0x41, 0x53, 0x0D, 0x0A, 0x1A, 0x0A]
    public static let headerSize = 64
    public static let descriptorSize = 64
    /// Every array starts at a multiple of this, zero-padded.
    public static let alignment = 8
    public static let versionMajor: UInt16 = 1
    public static let versionMinor: UInt16 = 0
}

/// The 64-byte header, after the magic and version checks.
package struct KastoreHeader: Sendable {
    package var versionMajor: UInt16
    package var versionMinor: UInt16
    package var itemCount: Int
    package var fileSize: UInt64

    /// Offset of the first key: just past the header and the descriptors.
    package var keysStart: UInt64 { UInt64(KastoreFormat.headerSize + KastoreFormat.descriptorSize * itemCount) }
}

/// One item descriptor, validated against the header.
package struct KastoreDescriptor: Sendable {
    package var type: KastoreType
    package var keyStart: UInt64
    package var keyLength: UInt64
    package var arrayStart: UInt64
    package var count: UInt64

    package var byteCount: UInt64 { count &* UInt64(type.elementSize) }  // validated: ≤ fileSize
}

/// The canonical packing of §1.6: keys back to back after the descriptors, then
/// each array at the next multiple of 8. Every step reports overflow instead of
/// wrapping, so the reader can feed it values straight from a file.
package struct KastorePacker {
    package private(set) var offset: UInt64

    package init(itemCount: Int) {
        offset = UInt64(KastoreFormat.headerSize) + UInt64(KastoreFormat.descriptorSize) * UInt64(itemCount)
    }

    /// Places a key of `length` bytes; returns its start, or nil on overflow.
    package mutating func placeKey(length: UInt64) -> UInt64? {
        let start = offset
        let (end, overflow) = offset.addingReportingOverflow(length)
        if overflow { return nil }
        offset = end
        return start
    }

    /// Places an array of `byteCount` bytes at the next aligned offset; returns
    /// its start, or nil on overflow.
    package mutating func placeArray(byteCount: UInt64) -> UInt64? {
        let mask = UInt64(KastoreFormat.alignment - 1)
        let (bumped, overflow) = offset.addingReportingOverflow(mask)
        if overflow { return nil }
        let start = bumped & ~mask
        let (end, overflow2) = start.addingReportingOverflow(byteCount)
        if overflow2 { return nil }
        offset = end
        return start
    }
}

/// How a sequential read ended.
package struct KastoreReadResult: Sendable {
    /// Bytes read into the buffer.
    package var count: Int
    /// The input reported end of file.
    package var atEnd: Bool
    /// The errno of a read failure, or 0.
    package var errno: Int32

    package init(count: Int, atEnd: Bool, errno: Int32) {
        self.count = count
        self.atEnd = atEnd
        self.errno = errno
    }
}

/// A sequential source of store bytes: a stdio stream, a descriptor or memory.
package protocol KastoreInput {
    /// Fills `buffer` from the current position; fewer bytes only at the end
    /// of the input or on an error, which the result describes.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> KastoreReadResult
    /// Bytes left, when the input knows (memory); nil for streams. Lets memory
    /// inputs reject impossible sizes before allocating for them.
    var remaining: Int? { get }
}

/// What opening a store reads: the header, the validated descriptors in file
/// order, and the key block `[keysStart, first array start)` in a C-heap
/// buffer that the receiver owns and releases with `RawMemory.release`.
package struct KastoreContents {
    package var header: KastoreHeader
    package var descriptors: [KastoreDescriptor]
    package var keyBlock: UnsafeMutableRawBufferPointer

    /// The bytes of descriptor `index`'s key, inside `keyBlock`.
    package func key(at index: Int) -> UnsafeRawBufferPointer {
        let descriptor = descriptors[index]
        let start = Int(descriptor.keyStart - header.keysStart)
        return UnsafeRawBufferPointer(rebasing: keyBlock[start..<(start + Int(descriptor.keyLength))])
    }
}

/// Key order of the format (§1.5): unsigned bytes, then the shorter key first.
package enum KastoreKeyOrder {
    /// Negative, zero or positive as `a` sorts before, equal to or after `b`.
    @inlinable
    package static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = Swift.min(a.count, b.count)
        if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let result = memcmp(pa, pb, common)
            if result != 0 { return Int(result) }
        }
        return a.count < b.count ? -1 : (a.count == b.count ? 0 : 1)
    }
}

extension KastoreKeyOrder {
    /// The indices `0..<count` ordered by key. Sorting compares the keys'
    /// first eight bytes as one integer and falls back to `compare` only on a
    /// tie, which keeps sorting many keys cheap.
    package static func sortedIndices(
        count: Int, key: (Int) -> UnsafeRawBufferPointer
    ) -> [Int] {
        var entries: [(prefix: UInt64, index: Int)] = (0..<count).map { index in
            let bytes = key(index)
            var prefix: UInt64 = 0
            for position in 0..<8 {
                prefix <<= 8
                if position < bytes.count { prefix |= UInt64(bytes[position]) }
            }
            return (prefix, index)
        }
        entries.sort { a, b in
            if a.prefix != b.prefix { return a.prefix < b.prefix }
            return compare(key(a.index), key(b.index)) < 0
        }
        return entries.map(\.index)
    }
}

/// Reading a store's table of contents with the validation of §2.1, in the
/// reference's order, so each malformed input gets the reference's error.
package enum KastoreDecoder {
    /// The error for a read that came back short: a format error at end of
    /// file or without errno, else an I/O error (§2.1 row 3).
    package static func shortReadError(_ result: KastoreReadResult) -> SwKasError {
        (result.atEnd || result.errno == 0) ? .badFileFormat : .io(errno: result.errno)
    }

    /// Reads exactly `buffer.count` bytes or throws the short-read error.
    package static func readExactly<I: KastoreInput>(
        _ input: inout I, into buffer: UnsafeMutableRawBufferPointer
    ) throws(SwKasError) {
        if buffer.count == 0 { return }
        if let remaining = input.remaining, remaining < buffer.count { throw .badFileFormat }
        let result = input.read(into: buffer)
        if result.count != buffer.count { throw shortReadError(result) }
    }

    /// Rows 2–7: the header. `.endOfFile` when the input is empty.
    package static func readHeader<I: KastoreInput>(_ input: inout I) throws(SwKasError) -> KastoreHeader {
        var header: KastoreHeader?
        var failure: SwKasError?
        withUnsafeTemporaryAllocation(byteCount: KastoreFormat.headerSize, alignment: 8) { buffer in
            let result = input.read(into: buffer)
            if result.count == 0 && result.atEnd {
                failure = .endOfFile
            } else if result.count != KastoreFormat.headerSize {
                failure = shortReadError(result)
            } else {
                do throws(SwKasError) {
                    header = try parseHeader(UnsafeRawBufferPointer(buffer))
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        guard let header else { throw .generic }
        return header
    }

    /// Rows 4–7 and 8 on 64 header bytes.
    package static func parseHeader(_ bytes: UnsafeRawBufferPointer) throws(SwKasError) -> KastoreHeader {
        guard bytes.count >= KastoreFormat.headerSize, let base = bytes.baseAddress else { throw .badFileFormat }
        guard memcmp(base, KastoreFormat.magic, KastoreFormat.magic.count) == 0 else { throw .badFileFormat }
        let major: UInt16 = base.loadLittleEndian(at: 8)
        let minor: UInt16 = base.loadLittleEndian(at: 10)
        if major < KastoreFormat.versionMajor { throw .versionTooOld }
        if major > KastoreFormat.versionMajor { throw .versionTooNew }
        let count: UInt32 = base.loadLittleEndian(at: 12)
        let fileSize: UInt64 = base.loadLittleEndian(at: 16)
        let header = KastoreHeader(versionMajor: major, versionMinor: minor, itemCount: Int(count), fileSize: fileSize)
        if fileSize < UInt64(KastoreFormat.headerSize) { throw .badFileFormat }
        if count == 0 && fileSize != UInt64(KastoreFormat.headerSize) { throw .badFileFormat }
        if header.keysStart > fileSize { throw .badFileFormat }
        return header
    }

    /// Rows 10 and 11 on the raw descriptor block of `header.itemCount` entries.
    package static func parseDescriptors(
        _ bytes: UnsafeRawBufferPointer, header: KastoreHeader
    ) throws(SwKasError) -> [KastoreDescriptor] {
        let count = header.itemCount
        guard let base = bytes.baseAddress, bytes.count >= count * KastoreFormat.descriptorSize else {
            if count == 0 { return [] }
            throw .badFileFormat
        }
        let fileSize = header.fileSize
        var descriptors: [KastoreDescriptor] = []
        descriptors.reserveCapacity(count)
        for index in 0..<count {
            let at = base + index * KastoreFormat.descriptorSize
            let code: UInt8 = at.loadLittleEndian(at: 0)
            guard let type = KastoreType(rawValue: code) else { throw .badType }
            let keyStart: UInt64 = at.loadLittleEndian(at: 8)
            let keyLength: UInt64 = at.loadLittleEndian(at: 16)
            let arrayStart: UInt64 = at.loadLittleEndian(at: 24)
            let arrayCount: UInt64 = at.loadLittleEndian(at: 32)
            if keyLength == 0 { throw .badFileFormat }
            if keyStart > fileSize || keyLength > fileSize - keyStart { throw .badFileFormat }
            if arrayStart > fileSize || arrayCount > (fileSize - arrayStart) / UInt64(type.elementSize) {
                throw .badFileFormat
            }
            descriptors.append(
                KastoreDescriptor(
                    type: type, keyStart: keyStart, keyLength: keyLength, arrayStart: arrayStart,
                    count: arrayCount))
        }
        var packer = KastorePacker(itemCount: count)
        for descriptor in descriptors {
            guard packer.placeKey(length: descriptor.keyLength) == descriptor.keyStart else { throw .badFileFormat }
        }
        for descriptor in descriptors {
            guard packer.placeArray(byteCount: descriptor.byteCount) == descriptor.arrayStart else {
                throw .badFileFormat
            }
        }
        if packer.offset != fileSize { throw .badFileFormat }
        return descriptors
    }

    /// Row 13 (ours only): keys strictly increasing, so no duplicates.
    package static func checkKeyOrder(_ contents: KastoreContents) throws(SwKasError) {
        var index = 1
        while index < contents.descriptors.count {
            if KastoreKeyOrder.compare(contents.key(at: index - 1), contents.key(at: index)) >= 0 {
                throw .badFileFormat
            }
            index += 1
        }
    }

    /// Rows 2–13: reads and validates everything up to the first array and
    /// leaves the input positioned there.
    package static func readContents<I: KastoreInput>(_ input: inout I) throws(SwKasError) -> KastoreContents {
        let header = try readHeader(&input)
        let count = header.itemCount
        var descriptors: [KastoreDescriptor] = []
        if count > 0 {
            let blockSize = count * KastoreFormat.descriptorSize
            if let remaining = input.remaining, remaining < blockSize { throw .badFileFormat }
            let raw = try RawMemory.allocate(blockSize)
            defer { RawMemory.release(raw) }
            let buffer = UnsafeMutableRawBufferPointer(start: raw, count: blockSize)
            try readExactly(&input, into: buffer)
            descriptors = try parseDescriptors(UnsafeRawBufferPointer(buffer), header: header)
        }
        let keysEnd = descriptors.first?.arrayStart ?? header.keysStart
        let claimed = keysEnd - header.keysStart  // validated: keysStart ≤ keysEnd ≤ fileSize
        // A memory input knows a block past its end is a short read; a stream
        // learns it only by reading, after allocating what the file claims.
        if let remaining = input.remaining, UInt64(remaining) < claimed { throw .badFileFormat }
        guard let keyBlockSize = Int(exactly: claimed) else { throw .noMemory }
        let keys = try RawMemory.allocate(keyBlockSize)
        let keyBlock = UnsafeMutableRawBufferPointer(start: keys, count: keyBlockSize)
        let contents = KastoreContents(header: header, descriptors: descriptors, keyBlock: keyBlock)
        do throws(SwKasError) {
            try readExactly(&input, into: keyBlock)
            try checkKeyOrder(contents)
        } catch {
            RawMemory.release(keys)
            throw error
        }
        return contents
    }
}

/// Where encoded bytes go: a stdio stream, a file or memory.
package protocol KastoreOutput {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(SwKasError)
}

/// One item to write: its key length, type and element count.
package struct KastoreEntry: Sendable {
    package var keyLength: Int
    package var type: KastoreType
    package var count: Int

    package init(keyLength: Int, type: KastoreType, count: Int) {
        self.keyLength = keyLength
        self.type = type
        self.count = count
    }
}

/// The items a writer holds, seen in key order. Byte access is scoped, so
/// Swift-owned arrays can serve without escaping pointers.
package protocol KastoreItemSource {
    /// The items in key order.
    var entries: [KastoreEntry] { get }
    /// Calls `body` with the key bytes of item `index`.
    func withKey(at index: Int, _ body: (UnsafeRawBufferPointer) -> Void)
    /// Calls `body` with the `count * elementSize` array bytes of item `index`.
    func withArray(
        at index: Int, _ body: (UnsafeRawBufferPointer) throws(SwKasError) -> Void
    ) throws(SwKasError)
}

/// Writing a store in canonical form (§1.6): the output is a pure function of
/// the items, so every writer of this library produces the same bytes.
package enum KastoreEncoder {
    /// The layout of `entries` (in key order): array starts and the file size.
    /// Sizes that do not fit the address space throw `.noMemory`.
    package static func layout(_ entries: [KastoreEntry]) throws(SwKasError) -> (arrayStarts: [Int], fileSize: Int) {
        var packer = KastorePacker(itemCount: entries.count)
        for entry in entries {
            guard packer.placeKey(length: UInt64(entry.keyLength)) != nil else { throw .noMemory }
        }
        var starts: [Int] = []
        starts.reserveCapacity(entries.count)
        for entry in entries {
            let (bytes, overflow) = entry.count.multipliedReportingOverflow(by: entry.type.elementSize)
            guard !overflow, let start = packer.placeArray(byteCount: UInt64(bytes)), let at = Int(exactly: start)
            else { throw .noMemory }
            starts.append(at)
        }
        guard let fileSize = Int(exactly: packer.offset) else { throw .noMemory }
        return (starts, fileSize)
    }

    /// Writes the store: header, descriptors and keys in one piece, then each
    /// array after its zero padding. Returns the store's size.
    @discardableResult
    package static func encode<S: KastoreItemSource, O: KastoreOutput>(
        _ source: S, to output: inout O
    ) throws(SwKasError) -> Int {
        let entries = source.entries
        let (starts, fileSize) = try layout(entries)
        let keysStart = KastoreFormat.headerSize + KastoreFormat.descriptorSize * entries.count
        let preambleSize = starts.first ?? keysStart
        let preamble = try RawMemory.allocate(preambleSize)
        defer { RawMemory.release(preamble) }
        memset(preamble, 0, preambleSize)
        memcpy(preamble, KastoreFormat.magic, KastoreFormat.magic.count)
        preamble.storeLittleEndian(KastoreFormat.versionMajor, at: 8)
        preamble.storeLittleEndian(KastoreFormat.versionMinor, at: 10)
        preamble.storeLittleEndian(UInt32(truncatingIfNeeded: entries.count), at: 12)
        preamble.storeLittleEndian(UInt64(fileSize), at: 16)
        var keyOffset = keysStart
        for (index, entry) in entries.enumerated() {
            let at = preamble + KastoreFormat.headerSize + index * KastoreFormat.descriptorSize
            at.storeLittleEndian(entry.type.rawValue, at: 0)
            at.storeLittleEndian(UInt64(keyOffset), at: 8)
            at.storeLittleEndian(UInt64(entry.keyLength), at: 16)
            at.storeLittleEndian(UInt64(starts[index]), at: 24)
            at.storeLittleEndian(UInt64(entry.count), at: 32)
            source.withKey(at: index) { key in
                if let bytes = key.baseAddress { memcpy(preamble + keyOffset, bytes, Swift.min(key.count, entry.keyLength)) }
            }
            keyOffset += entry.keyLength
        }
        try output.write(UnsafeRawBufferPointer(start: preamble, count: preambleSize))
        var position = preambleSize
        for index in entries.indices {
            try writeZeros(starts[index] - position, to: &output)
            try source.withArray(at: index) { (bytes) throws(SwKasError) in try output.write(bytes) }
            position = starts[index] + entries[index].count * entries[index].type.elementSize
        }
        // An empty last array ends the store at its aligned start.
        try writeZeros(fileSize - position, to: &output)
        return fileSize
    }

    private static func writeZeros<O: KastoreOutput>(_ count: Int, to output: inout O) throws(SwKasError) {
        guard count > 0 else { return }
        let zeros: UInt64 = 0
        try withUnsafeBytes(of: zeros) { (bytes) throws(SwKasError) in
            try output.write(UnsafeRawBufferPointer(rebasing: bytes[0..<Swift.min(count, 8)]))
        }
    }
}
