import CSwKas

// The typed forms of kastore's get, put and own-put: each is the general
// function with its fixed type code (gets add the type check).

@c @implementation
public func kastore_gets_int8(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<Int8>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_INT8) }

@c @implementation
public func kastore_puts_int8(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<Int8>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_INT8, flags) }

@c @implementation
public func kastore_oputs_int8(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<Int8>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_INT8, flags) }

@c @implementation
public func kastore_gets_uint8(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_UINT8) }

@c @implementation
public func kastore_puts_uint8(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<UInt8>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_UINT8, flags) }

@c @implementation
public func kastore_oputs_uint8(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<UInt8>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_UINT8, flags) }

@c @implementation
public func kastore_gets_int16(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<Int16>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_INT16) }

@c @implementation
public func kastore_puts_int16(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<Int16>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_INT16, flags) }

@c @implementation
public func kastore_oputs_int16(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<Int16>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_INT16, flags) }

@c @implementation
public func kastore_gets_uint16(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<UInt16>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_UINT16) }

@c @implementation
public func kastore_puts_uint16(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<UInt16>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_UINT16, flags) }

@c @implementation
public func kastore_oputs_uint16(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<UInt16>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_UINT16, flags) }

@c @implementation
public func kastore_gets_int32(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_INT32) }

@c @implementation
public func kastore_puts_int32(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<Int32>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_INT32, flags) }

@c @implementation
public func kastore_oputs_int32(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<Int32>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_INT32, flags) }

@c @implementation
public func kastore_gets_uint32(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_UINT32) }

@c @implementation
public func kastore_puts_uint32(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<UInt32>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_UINT32, flags) }

@c @implementation
public func kastore_oputs_uint32(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<UInt32>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_UINT32, flags) }

@c @implementation
public func kastore_gets_int64(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<Int64>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_INT64) }

@c @implementation
public func kastore_puts_int64(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<Int64>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_INT64, flags) }

@c @implementation
public func kastore_oputs_int64(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<Int64>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_INT64, flags) }

@c @implementation
public func kastore_gets_uint64(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_UINT64) }

@c @implementation
public func kastore_puts_uint64(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<UInt64>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_UINT64, flags) }

@c @implementation
public func kastore_oputs_uint64(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<UInt64>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_UINT64, flags) }

@c @implementation
public func kastore_gets_float32(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_FLOAT32) }

@c @implementation
public func kastore_puts_float32(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<Float>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_FLOAT32, flags) }

@c @implementation
public func kastore_oputs_float32(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<Float>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_FLOAT32, flags) }

@c @implementation
public func kastore_gets_float64(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?,
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?, _ array_len: UnsafeMutablePointer<Int>?
) -> Int32 { typedGet(self_, key, array, array_len, KAS_FLOAT64) }

@c @implementation
public func kastore_puts_float64(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafePointer<Double>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_puts(self_, key, array, array_len, KAS_FLOAT64, flags) }

@c @implementation
public func kastore_oputs_float64(
    _ self_: UnsafeMutablePointer<kastore_t>?, _ key: UnsafePointer<CChar>?, _ array: UnsafeMutablePointer<Double>?,
    _ array_len: Int, _ flags: Int32
) -> Int32 { kastore_oputs(self_, key, array, array_len, KAS_FLOAT64, flags) }
