// Decoding primitives: the mirror of ByteWriter over borrowed bytes (a memory map or an array).
// Every read is bounds-checked and throws a TraceError that names the file and the absolute
// offset; no read ever allocates more than the bytes that are actually left.

struct ByteReader {
    let base: UnsafeRawPointer?
    let count: Int
    /// Absolute file offset of `base`, for error messages.
    let fileOffset: Int
    let path: String
    /// What is being read, for error messages ("metrics record").
    var what: String
    var position = 0

    init(_ buffer: UnsafeRawBufferPointer, fileOffset: Int, path: String, what: String) {
        self.base = buffer.baseAddress; self.count = buffer.count
        self.fileOffset = fileOffset; self.path = path; self.what = what
    }

    var remaining: Int { count - position }
    var isAtEnd: Bool { position >= count }
    var absoluteOffset: Int { fileOffset + position }

    func error(_ p: TraceError.Problem) -> TraceError { TraceError(path: path, offset: absoluteOffset, p) }

    @inline(__always) func need(_ n: Int) throws {
        if n > remaining { throw error(.truncatedRecord(kind: what, needed: n, available: remaining)) }
    }

    // MARK: - Fixed width

    @inline(__always) mutating func u8() throws -> UInt8 {
        try need(1)
        let v = base!.load(fromByteOffset: position, as: UInt8.self)
        position += 1
        return v
    }

    @inline(__always) mutating func u16() throws -> UInt16 {
        try need(2)
        let v = UInt16(base!.load(fromByteOffset: position, as: UInt8.self))
            | UInt16(base!.load(fromByteOffset: position + 1, as: UInt8.self)) << 8
        position += 2
        return v
    }

    mutating func u32() throws -> UInt32 {
        try need(4)
        let v = base!.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: v)
    }

    mutating func u64() throws -> UInt64 {
        try need(8)
        let v = base!.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: v)
    }

    /// A view of the next `n` bytes (no copy).
    mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer {
        try need(n)
        if n == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let b = UnsafeRawBufferPointer(start: base! + position, count: n)
        position += n
        return b
    }

    mutating func skip(_ n: Int) throws { try need(n); position += n }

    // MARK: - Variable width

    @inline(__always) mutating func varint(_ field: String) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8()
            if shift == 63 && b > 1 { throw error(.lengthOverflow(field: field)) }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw error(.lengthOverflow(field: field)) }
        }
    }

    /// A varint that must be at most `cap`; returned as Int.
    @inline(__always) mutating func count(_ field: String, cap: Int) throws -> Int {
        let v = try varint(field)
        if v > UInt64(cap) { throw error(.lengthExceedsCap(field: field, value: v, cap: cap)) }
        return Int(v)
    }

    /// A count of elements that each take at least `minBytes`: capped by `cap` and by what is left,
    /// so that a corrupt count can never make the caller reserve a huge array.
    mutating func elementCount(_ field: String, cap: Int, minBytes: Int) throws -> Int {
        let n = try count(field, cap: cap)
        if n > remaining / max(minBytes, 1) {
            throw error(.truncatedRecord(kind: what, needed: n * max(minBytes, 1), available: remaining))
        }
        return n
    }

    @inline(__always) mutating func zigzag(_ field: String) throws -> Int64 {
        let u = try varint(field)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// A zigzag varint whose magnitude is at most `Format.maxPosition` (so sums of a few stay far
    /// from overflow).
    @inline(__always) mutating func delta(_ field: String) throws -> Int {
        let v = try zigzag(field)
        if v > Int64(Format.maxPosition) || v < -Int64(Format.maxPosition) {
            throw error(.lengthExceedsCap(field: field, value: UInt64(v.magnitude), cap: Format.maxPosition))
        }
        return Int(v)
    }

    mutating func string(_ field: String) throws -> String {
        let n = try count(field + " length", cap: Format.maxStringBytes)
        let b = try bytes(n)
        return String(decoding: b, as: UTF8.self)
    }

    // MARK: - Floats

    @inline(__always) mutating func unit16() throws -> Float { Quantize.fromUnit16(try u16()) }
    @inline(__always) mutating func half() throws -> Float { Float(Float16(bitPattern: try u16())) }
    mutating func f32() throws -> Float { Float(bitPattern: try u32()) }

    // MARK: - Records

    /// Reads a record header: its kind tag and a reader over its body (checked against what is left).
    mutating func record() throws -> (tag: UInt64, body: ByteReader, offset: Int) {
        let offset = absoluteOffset
        let tag = try varint("record kind")
        let length = try count("record length", cap: Format.maxChunkBytes)
        let bodyOffset = absoluteOffset
        let b = try bytes(length)
        let kindName = RecordKind(rawValue: tag)?.name ?? "unknown(\(tag))"
        let body = ByteReader(b, fileOffset: bodyOffset, path: path, what: kindName + " record")
        return (tag, body, offset)
    }
}
