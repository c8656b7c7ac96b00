import CSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fallible C-heap allocation. Sizes that come from files must never reach a
/// Swift allocation, which traps when it fails; these return `.noMemory`.
package enum RawMemory {
    /// Buffers from this size up ask for transparent huge pages.
    private static let hugePageThreshold = 4 << 20

    /// `malloc(max(count, 1))`, so a zero-byte request still gives a unique,
    /// non-NULL pointer (kastore hands out non-NULL arrays even when empty).
    /// Large buffers (array data about to be filled) are backed by huge pages
    /// where the OS allows it, which makes filling them several times faster.
    package static func allocate(_ count: Int) throws(SwKasError) -> UnsafeMutableRawPointer {
        guard count >= 0, let pointer = malloc(Swift.max(count, 1)) else { throw .noMemory }
        if count >= hugePageThreshold { swkas_advise_huge_pages(pointer, count) }
        return pointer
    }

    /// `realloc`, keeping the old block when it fails.
    package static func reallocate(_ pointer: UnsafeMutableRawPointer?, _ count: Int) throws(SwKasError)
        -> UnsafeMutableRawPointer
    {
        guard count >= 0, let grown = realloc(pointer, Swift.max(count, 1)) else { throw .noMemory }
        return grown
    }

    /// `free`, accepting nil.
    package static func release(_ pointer: UnsafeMutableRawPointer?) {
        free(pointer)
    }
}

/// Little-endian loads and stores at byte offsets of raw memory. Callers check
/// bounds first (the format's fixed-size blocks make that a single check).
extension UnsafeRawPointer {
    @inlinable
    package func loadLittleEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawPointer {
    /// Copies all of `bytes` here (nothing for an empty buffer).
    @inlinable
    package func copyBytes(from bytes: UnsafeRawBufferPointer) {
        if let source = bytes.baseAddress, bytes.count > 0 { copyMemory(from: source, byteCount: bytes.count) }
    }

    @inlinable
    package func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}
