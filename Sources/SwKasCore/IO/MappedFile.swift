#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory; unmapped on `deinit`.
///
/// Readers use it for zero-copy access. A mapping stays valid when the path
/// is replaced by a rename (which is how every writer of ours updates a file);
/// if another program truncates the file in place, touching the lost pages
/// raises SIGBUS, as with any mapping.
package final class MappedFile: @unchecked Sendable {
    /// The mapped bytes (empty for an empty file).
    package let bytes: UnsafeRawBufferPointer

    /// Maps `path`. `populate` pre-faults every page (a full sequential read).
    package init(path: SystemPath, populate: Bool = false) throws(SwKasError) {
        // Only regular files are opened: opening a FIFO would block until a
        // writer comes, and what it wrote would be lost with the descriptor.
        var kind = stat()
        if stat(path.cString, &kind) != 0 { throw .io(errno: errno) }
        if (kind.st_mode & S_IFMT) == S_IFDIR { throw .io(errno: EISDIR) }
        if (kind.st_mode & S_IFMT) != S_IFREG {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let fd = open(path.cString, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .io(errno: errno) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw .io(errno: errno) }
        guard let size = Int(exactly: info.st_size), size >= 0 else { throw .noMemory }
        // An empty file, or one replaced since the stat by something unmappable: an empty view.
        bytes = try Self.map(fd: fd, length: (info.st_mode & S_IFMT) == S_IFREG ? size : 0, populate: populate)
    }

    /// Maps the first `length` bytes of the open file `fd` (which stays open);
    /// `populate` maps every page now instead of faulting them in one by one.
    package init(fd: Int32, length: Int, populate: Bool = false) throws(SwKasError) {
        bytes = try Self.map(fd: fd, length: length, populate: populate)
    }

    /// A read-only shared mapping of `length` bytes of `fd` (empty for 0).
    private static func map(fd: Int32, length: Int, populate: Bool) throws(SwKasError) -> UnsafeRawBufferPointer {
        if length <= 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        var flags = MAP_SHARED
        #if os(Linux)
        if populate { flags |= MAP_POPULATE }
        #endif
        let address = mmap(nil, length, PROT_READ, flags, fd, 0)
        guard let address, address != MAP_FAILED else { throw .io(errno: errno) }
        return UnsafeRawBufferPointer(start: address, count: length)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
