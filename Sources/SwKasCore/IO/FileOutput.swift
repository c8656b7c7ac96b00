import CSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor as a store output, for the files swkas writes itself.
///
/// Small writes (headers, keys, padding, small arrays) gather in a 1 MiB
/// buffer; large arrays go straight to `write(2)` in 16 MiB pieces. When an
/// fsync will follow, the kernel is asked after each piece to start writing
/// back, so the fsync overlaps with the writing instead of following it.
package final class FileOutput: KastoreOutput {
    private static let bufferSize = 1 << 20
    private static let writebackStep = 16 << 20

    private let fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private var used = 0
    /// Bytes handed to the kernel so far, and how many of them were sent
    /// to writeback.
    private var issued: Int64 = 0
    private var kicked: Int64 = 0
    /// Start writeback as we go: only worth it when an fsync will follow.
    private let writesBack: Bool

    package init(fd: Int32, writesBack: Bool) throws(SwKasError) {
        self.fd = fd
        self.writesBack = writesBack
        buffer = try RawMemory.allocate(Self.bufferSize)
    }

    deinit {
        RawMemory.release(buffer)
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws(SwKasError) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if bytes.count <= Self.bufferSize - used {
            memcpy(buffer + used, source, bytes.count)
            used += bytes.count
            return
        }
        try flush()
        if bytes.count < Self.bufferSize {
            memcpy(buffer, source, bytes.count)
            used = bytes.count
        } else {
            try writeThrough(UnsafeRawBufferPointer(start: source, count: bytes.count))
        }
    }

    /// Writes out the buffered bytes.
    package func flush() throws(SwKasError) {
        let pending = used
        used = 0
        try writeThrough(UnsafeRawBufferPointer(start: buffer, count: pending))
    }

    private func writeThrough(_ bytes: UnsafeRawBufferPointer) throws(SwKasError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let piece = Swift.min(bytes.count - offset, Self.writebackStep)
            let written = systemWrite(fd, base + offset, piece)
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(errno: errno)
            }
            if written == 0 { throw .io(errno: EIO) }
            offset += written
            issued += Int64(written)
            if writesBack && issued - kicked >= Int64(Self.writebackStep) {
                _ = swkas_start_writeback(fd, kicked, issued - kicked)  // a hint: failure costs only speed
                kicked = issued
            }
        }
    }
}

/// `write(2)`, named apart from `FileOutput.write(_:)`.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
