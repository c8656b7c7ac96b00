/// A kastore array with its element type: one case per type.
public enum KastoreArray: Equatable, Sendable {
    case int8([Int8])
    case uint8([UInt8])
    case int16([Int16])
    case uint16([UInt16])
    case int32([Int32])
    case uint32([UInt32])
    case int64([Int64])
    case uint64([UInt64])
    case float32([Float])
    case float64([Double])

    /// Wraps a typed Swift array.
    public init<T: KastoreElement>(_ values: [T]) {
        self = values.withUnsafeBytes { Self.decode(T.kastoreType, $0) }
    }

    /// The element type.
    public var type: KastoreType {
        switch self {
        case .int8: return .int8
        case .uint8: return .uint8
        case .int16: return .int16
        case .uint16: return .uint16
        case .int32: return .int32
        case .uint32: return .uint32
        case .int64: return .int64
        case .uint64: return .uint64
        case .float32: return .float32
        case .float64: return .float64
        }
    }

    /// Number of elements.
    public var count: Int {
        switch self {
        case .int8(let v): return v.count
        case .uint8(let v): return v.count
        case .int16(let v): return v.count
        case .uint16(let v): return v.count
        case .int32(let v): return v.count
        case .uint32(let v): return v.count
        case .int64(let v): return v.count
        case .uint64(let v): return v.count
        case .float32(let v): return v.count
        case .float64(let v): return v.count
        }
    }

    /// The elements as `T`, or nil when `T` is not the stored type.
    public func values<T: KastoreElement>(as type: T.Type = T.self) -> [T]? {
        guard T.kastoreType == self.type else { return nil }
        return withUnsafeBytes { Self.copy($0, as: T.self) }
    }

    /// Calls `body` with the little-endian bytes of the elements.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .int8(let v): return try v.withUnsafeBytes(body)
        case .uint8(let v): return try v.withUnsafeBytes(body)
        case .int16(let v): return try v.withUnsafeBytes(body)
        case .uint16(let v): return try v.withUnsafeBytes(body)
        case .int32(let v): return try v.withUnsafeBytes(body)
        case .uint32(let v): return try v.withUnsafeBytes(body)
        case .int64(let v): return try v.withUnsafeBytes(body)
        case .uint64(let v): return try v.withUnsafeBytes(body)
        case .float32(let v): return try v.withUnsafeBytes(body)
        case .float64(let v): return try v.withUnsafeBytes(body)
        }
    }

    /// Decodes little-endian element bytes (a whole number of elements).
    package static func decode(_ type: KastoreType, _ bytes: UnsafeRawBufferPointer) -> KastoreArray {
        switch type {
        case .int8: return .int8(copy(bytes, as: Int8.self))
        case .uint8: return .uint8(copy(bytes, as: UInt8.self))
        case .int16: return .int16(copy(bytes, as: Int16.self))
        case .uint16: return .uint16(copy(bytes, as: UInt16.self))
        case .int32: return .int32(copy(bytes, as: Int32.self))
        case .uint32: return .uint32(copy(bytes, as: UInt32.self))
        case .int64: return .int64(copy(bytes, as: Int64.self))
        case .uint64: return .uint64(copy(bytes, as: UInt64.self))
        case .float32: return .float32(copy(bytes, as: Float.self))
        case .float64: return .float64(copy(bytes, as: Double.self))
        }
    }

    /// Copies whole elements out of possibly unaligned bytes.
    private static func copy<T: KastoreElement>(_ bytes: UnsafeRawBufferPointer, as type: T.Type) -> [T] {
        let count = bytes.count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, let target = buffer.baseAddress, let source = bytes.baseAddress {
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * MemoryLayout<T>.stride)
            }
            initialized = count
        }
    }
}
