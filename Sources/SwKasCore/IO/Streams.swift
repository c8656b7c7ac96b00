#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stdio stream as a store input: plain `fread`, no read-ahead of our own,
/// so callers that share the descriptor see exactly the bytes we consumed.
package struct StdioInput: KastoreInput {
    package let stream: UnsafeMutablePointer<FILE>

    package init(_ stream: UnsafeMutablePointer<FILE>) { self.stream = stream }

    package mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> KastoreReadResult {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            return KastoreReadResult(count: 0, atEnd: false, errno: 0)
        }
        errno = 0
        let count = fread(base, 1, buffer.count, stream)
        let failure = errno
        return KastoreReadResult(count: count, atEnd: feof(stream) != 0, errno: failure)
    }

    package var remaining: Int? { nil }
}

/// Memory as a store input, read with a cursor. Never copies past its end.
package struct MemoryInput: KastoreInput {
    package let bytes: UnsafeRawBufferPointer
    package private(set) var position = 0

    package init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    package mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> KastoreReadResult {
        let count = Swift.min(buffer.count, bytes.count - position)
        if count > 0, let source = bytes.baseAddress, let target = buffer.baseAddress {
            memcpy(target, source + position, count)
        }
        position += count
        return KastoreReadResult(count: count, atEnd: position == bytes.count, errno: 0)
    }

    package var remaining: Int? { bytes.count - position }
}

/// A stdio stream as a store output. Any failed `fwrite` is an I/O error
/// carrying the errno it set.
package struct StdioOutput: KastoreOutput {
    package let stream: UnsafeMutablePointer<FILE>

    package init(_ stream: UnsafeMutablePointer<FILE>) { self.stream = stream }

    package mutating func write(_ bytes: UnsafeRawBufferPointer) throws(SwKasError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        errno = 0
        if fwrite(base, 1, bytes.count, stream) != bytes.count { throw .io(errno: errno) }
    }
}

/// A growing C-heap buffer as a store output; `take()` hands the bytes over.
package struct MemoryOutput: KastoreOutput {
    package private(set) var base: UnsafeMutableRawPointer?
    package private(set) var count = 0
    private var capacity = 0

    /// Starts with room for `capacity` bytes (the exact size, when known).
    package init(capacity: Int) throws(SwKasError) {
        base = try RawMemory.allocate(capacity)
        self.capacity = Swift.max(capacity, 1)
    }

    package mutating func write(_ bytes: UnsafeRawBufferPointer) throws(SwKasError) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        let (needed, overflow) = count.addingReportingOverflow(bytes.count)
        if overflow { throw .noMemory }
        if needed > capacity {
            let grown = Swift.max(needed, capacity.multipliedReportingOverflow(by: 2).partialValue)
            base = try RawMemory.reallocate(base, grown)
            capacity = grown
        }
        guard let base else { throw .noMemory }
        memcpy(base + count, source, bytes.count)
        count = needed
    }

    /// The buffer (C heap, for `free`) and its length; the output is empty after.
    package mutating func take() -> (UnsafeMutableRawPointer?, Int) {
        defer { base = nil; count = 0; capacity = 0 }
        return (base, count)
    }
}
