#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replacing a file atomically: the new contents go to a temporary file in the
/// same directory, which is flushed, `fsync`ed and renamed over the target,
/// and then the directory is `fsync`ed. Until the rename the old file is
/// untouched; after it, the new one is complete. A failure removes the
/// temporary file and leaves the target as it was.
///
/// Targets that are not regular files (devices, FIFOs), and targets in a
/// directory where no temporary file can be created, are written in place.
package final class AtomicFile {
    /// The path to replace.
    package let path: SystemPath
    /// Mode bits for the new file: the old file's, or `0666 & ~umask` for a
    /// new one (learned from the probe, which the kernel created that way).
    private let mode: mode_t
    private let owner: (uid_t, gid_t)
    /// The probe created the target, so a failed write removes it again.
    private let createdByProbe: Bool
    /// For a non-regular target, the descriptor from the probe, written in place.
    private var inPlace: Int32
    /// Whether a commit fsyncs the file and its directory (power-loss safety);
    /// without it the replace is still atomic.
    package var durable = true

    /// Checks that `path` can be opened for writing exactly as `fopen(path,
    /// "wb")` would (same errno on failure: ENOENT, EISDIR, EACCES, ...), but
    /// without truncating it. A missing file is created empty. A symbolic link
    /// is followed, as fopen does: the file it points to is what gets replaced.
    package init(probing requested: SystemPath) throws(SwKasError) {
        var existing = stat()
        let existed = stat(requested.cString, &existing) == 0
        let fd = open(requested.cString, O_WRONLY | O_CREAT | O_CLOEXEC, 0o666)
        if fd < 0 { throw .io(errno: errno) }
        var info = stat()
        if fstat(fd, &info) != 0 {
            let failure = errno
            close(fd)
            throw .io(errno: failure)
        }
        path = Self.resolvingLink(requested)
        mode = info.st_mode & 0o7777
        owner = (info.st_uid, info.st_gid)
        createdByProbe = !existed
        if (info.st_mode & S_IFMT) == S_IFREG {
            close(fd)
            inPlace = -1
        } else {
            inPlace = fd
        }
    }

    /// The file a symbolic link leads to (it exists: the probe created it),
    /// or the path itself when it is not a link.
    private static func resolvingLink(_ path: SystemPath) -> SystemPath {
        var info = stat()
        guard lstat(path.cString, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK,
            let resolved = realpath(path.cString, nil)
        else { return path }
        defer { free(resolved) }
        return SystemPath(cString: resolved)
    }

    deinit {
        if inPlace >= 0 { close(inPlace) }
    }

    /// Gives up: removes the file the probe created, if any.
    package func abandon() {
        if createdByProbe && inPlace < 0 { unlink(path.cString) }
    }

    /// Writes the file through `body`, then commits (flush, fsync, rename,
    /// fsync of the directory). On any failure the target is left as it was
    /// (or removed, if the probe created it) and no temporary file remains.
    package func write(_ body: (FileOutput) throws(SwKasError) -> Void) throws(SwKasError) {
        if inPlace >= 0 {
            let fd = inPlace
            inPlace = -1
            try Self.writeFile(fd: fd, sync: false, body)
            return
        }
        var template = path.hiddenSibling(suffix: ".swkas-XXXXXX").cString
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        if fd < 0 {
            // No temporary file possible here: write in place, as kastore does.
            let direct = open(path.cString, O_WRONLY | O_TRUNC | O_CLOEXEC)
            if direct < 0 { throw .io(errno: errno) }
            try Self.writeFile(fd: direct, sync: durable, body)
            return
        }
        do throws(SwKasError) {
            _ = fchown(fd, owner.0, owner.1)  // best effort: only root may give files away
            if fchmod(fd, mode) != 0 { let failure = errno; close(fd); throw .io(errno: failure) }
            try Self.writeFile(fd: fd, sync: durable, body)
            if rename(template, path.cString) != 0 { throw .io(errno: errno) }
        } catch {
            unlink(template)
            abandon()
            throw error
        }
        if durable { Self.syncDirectory(of: path) }
    }

    /// Runs `body` on an output over `fd`, then flushes, optionally fsyncs and
    /// closes; the first failure wins and `fd` is always closed.
    private static func writeFile(
        fd: Int32, sync: Bool, _ body: (FileOutput) throws(SwKasError) -> Void
    ) throws(SwKasError) {
        var failure: SwKasError?
        do throws(SwKasError) {
            let output = try FileOutput(fd: fd, writesBack: sync)
            try body(output)
            try output.flush()
        } catch {
            failure = error
        }
        if failure == nil && sync && fsync(fd) != 0 { failure = .io(errno: errno) }
        if close(fd) != 0 && failure == nil { failure = .io(errno: errno) }
        if let failure { throw failure }
    }

    /// Makes the rename durable. Failure only weakens durability, so it is ignored.
    package static func syncDirectory(of path: SystemPath) {
        let fd = open(path.directory.cString, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
