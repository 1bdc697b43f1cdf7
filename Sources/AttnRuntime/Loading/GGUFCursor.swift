// MARK: - Bounds-checked little-endian reading

/// Reads GGUF's little-endian fields from a byte buffer. Every read checks the bounds first and
/// throws `GGUFError.truncated` naming the offset and the field, so a corrupt file never reads
/// outside the buffer.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    mutating func need(_ count: Int, _ what: @autoclosure () -> String) throws {
        if count > remaining {
            throw GGUFError.truncated(file: file, offset: offset, needed: count - remaining, what: what())
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try need(MemoryLayout<T>.size, what())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A count that must describe at least `minBytesEach` bytes per item still in the buffer:
    /// rejects absurd counts before anything is allocated for them.
    mutating func readCount(_ what: @autoclosure () -> String, minBytesEach: Int) throws -> Int {
        let at = offset
        let count = try read(UInt64.self, what())
        let limit = UInt64(remaining / max(minBytesEach, 1))
        if count > limit {
            throw GGUFError.countTooLarge(file: file, offset: at, what: what(), count: count)
        }
        return Int(count)
    }

    /// A GGUF string: uint64 byte length, then UTF-8 bytes (no terminator).
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let at = offset
        let length = try readCount("length of \(what())", minBytesEach: 1)
        let start = bytes.baseAddress! + offset
        let raw = UnsafeRawBufferPointer(start: start, count: length).bindMemory(to: UInt8.self)
        guard let string = String(validating: raw, as: UTF8.self) else {
            throw GGUFError.invalidUTF8(file: file, offset: at, what: what())
        }
        offset += length
        return string
    }

    mutating func skip(to newOffset: Int, _ what: @autoclosure () -> String) throws {
        if newOffset > bytes.count {
            throw GGUFError.truncated(file: file, offset: offset, needed: newOffset - bytes.count, what: what())
        }
        offset = newOffset
    }
}
