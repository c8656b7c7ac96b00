import CSwKas
import CSystem
import SwKasCore

#if canImport(Glibc)
import Glibc
#endif

/// The one place where `SwKasError` meets C: codes, messages and errno.
extension SwKasError {
    /// The C error code (kastore's for kastore's meanings, ours from -101).
    var code: Int32 {
        switch self {
        case .generic: return KAS_ERR_GENERIC
        case .io: return KAS_ERR_IO
        case .badMode: return KAS_ERR_BAD_MODE
        case .noMemory: return KAS_ERR_NO_MEMORY
        case .badFileFormat: return KAS_ERR_BAD_FILE_FORMAT
        case .versionTooOld: return KAS_ERR_VERSION_TOO_OLD
        case .versionTooNew: return KAS_ERR_VERSION_TOO_NEW
        case .badType: return KAS_ERR_BAD_TYPE
        case .emptyKey: return KAS_ERR_EMPTY_KEY
        case .duplicateKey: return KAS_ERR_DUPLICATE_KEY
        case .keyNotFound: return KAS_ERR_KEY_NOT_FOUND
        case .illegalOperation: return KAS_ERR_ILLEGAL_OPERATION
        case .typeMismatch: return KAS_ERR_TYPE_MISMATCH
        case .endOfFile: return KAS_ERR_EOF
        case .badFlags: return KAS_ERR_BAD_FLAGS
        case .indexOutOfRange: return SWKAS_ERR_INDEX_OUT_OF_RANGE
        case .nullArgument: return SWKAS_ERR_NULL_ARGUMENT
        case .truncated: return SWKAS_ERR_TRUNCATED
        case .chunkFormat: return SWKAS_ERR_BAD_CHUNK
        case .unsupported: return SWKAS_ERR_UNSUPPORTED
        case .invalidArgument: return SWKAS_ERR_INVALID_ARGUMENT
        case .bufferTooSmall: return SWKAS_ERR_BUFFER_TOO_SMALL
        case .fileExists: return SWKAS_ERR_EXISTS
        case .notAnArray: return SWKAS_ERR_NOT_AN_ARRAY
        case .badFrame: return SWKAS_ERR_BAD_FRAME
        }
    }

    /// Every error with a fixed message, by code (`.io` takes the current errno).
    static let byCode: [Int32: SwKasError] = {
        let all: [SwKasError] = [
            .generic, .io(errno: 0), .badMode, .noMemory, .badFileFormat, .versionTooOld, .versionTooNew,
            .badType, .emptyKey, .duplicateKey, .keyNotFound, .illegalOperation, .typeMismatch, .endOfFile,
            .badFlags, .indexOutOfRange, .nullArgument, .truncated, .chunkFormat(""), .unsupported(""),
            .invalidArgument(""), .bufferTooSmall, .fileExists, .notAnArray, .badFrame(""),
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })
    }()
}

/// Static C copies of the fixed messages, made once and never freed.
nonisolated(unsafe) private let staticMessages: [Int32: UnsafePointer<CChar>] = SwKasError.byCode.compactMapValues { error in
    if case .io = error { return nil }
    return strdup(error.description).map { UnsafePointer($0) }
}
nonisolated(unsafe) private let unknownError = cString("Unknown error")
nonisolated(unsafe) private let ioWithoutErrno = cString("I/O error with errno unset. Please file a bug report")

/// A literal as a C string with static lifetime.
func cString(_ literal: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// The message for `code`; `kastoreOnly` limits it to kastore's codes.
func message(for code: Int32, kastoreOnly: Bool) -> UnsafePointer<CChar> {
    if kastoreOnly && !(KAS_ERR_BAD_FLAGS...KAS_ERR_GENERIC).contains(code) { return unknownError }
    if code == KAS_ERR_IO {
        let current = errno
        if current != 0, let text = strerror(current) { return UnsafePointer(text) }
        return ioWithoutErrno
    }
    return staticMessages[code] ?? unknownError
}

/// Runs an ABI entry point: returns its result, or the error's code. For an
/// I/O error, errno is set last, after every cleanup, to the failing call's.
func cCall(_ body: () throws(SwKasError) -> Int32) -> Int32 {
    do throws(SwKasError) {
        return try body()
    } catch {
        swkas_set_last_error(error.description)
        if case .io(let saved) = error { errno = saved }
        return error.code
    }
}

@c @implementation
public func swkas_last_error_message() -> UnsafePointer<CChar>? {
    swkas_last_error_text()
}

@c @implementation
public func kas_strerror(_ err: Int32) -> UnsafePointer<CChar>? {
    message(for: err, kastoreOnly: true)
}

@c @implementation
public func swkas_strerror(_ err: Int32) -> UnsafePointer<CChar>? {
    message(for: err, kastoreOnly: false)
}

@c @implementation
public func kas_version() -> kas_version_t {
    kas_version_t(major: KAS_VERSION_MAJOR, minor: KAS_VERSION_MINOR, patch: KAS_VERSION_PATCH)
}

@c @implementation
public func swkas_version() -> UnsafePointer<CChar>? {
    cString("0.1.0")  // SWKAS_VERSION_STRING; a test checks that they agree
}

@c @implementation
public func swkas_version_number() -> Int32 {
    SWKAS_VERSION_MAJOR * 10000 + SWKAS_VERSION_MINOR * 100 + SWKAS_VERSION_PATCH
}

@c @implementation
public func swkas_type_size(_ type: Int32) -> Int32 {
    guard let type = KastoreType(code: Int(type)) else { return KAS_ERR_BAD_TYPE }
    return Int32(type.elementSize)
}
