#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Tensor info

/// Where one tensor lives in the file and how to read it.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let type: GGMLType
    /// Dimensions, fastest-varying first (ggml's ne0, ne1, ...). A row-major [rows, cols] matrix
    /// is stored as shape [cols, rows].
    public let shape: [Int]
    /// Byte offset of the data from the start of the file (already aligned).
    public let fileOffset: Int
    /// Bytes of data (whole quant blocks).
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
    /// Elements per row (ne0).
    public var rowLength: Int { shape.first ?? 1 }
    /// Number of rows (product of ne1, ne2, ...).
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes per row of `rowLength` elements.
    public var rowBytes: Int { type.rowBytes(count: rowLength) ?? 0 }
}

// MARK: - File

/// A GGUF (v2/v3) model file: typed metadata, tensor infos and memory-mapped tensor data.
///
/// Everything is validated in `init`: magic, version, every length and count against the file size,
/// value types, tensor types (F32, F16, BF16, Q8_0, Q4_0, Q4_1 only), shapes, alignment, and that every
/// tensor's bytes lie inside the file. After that, `data(_:)` hands out slices of the mapping without
/// further checks. Layout: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
public final class GGUFFile: @unchecked Sendable {  // immutable after init; the mapping is read-only
    /// Path (or name, for in-memory files) used in error messages.
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let tensors: [String: GGUFTensorInfo]
    /// Tensor names in file order.
    public let tensorNames: [String]
    /// `general.alignment`, default 32.
    public let alignment: Int
    /// Offset of the tensor data section from the start of the file.
    public let dataOffset: Int
    public var fileSize: Int { bytes.count }

    private let bytes: UnsafeRawBufferPointer
    /// How `bytes` was obtained, so deinit can give it back.
    private let storage: Storage
    enum Storage { case mapped, allocated }

    /// Maps the file at `path` read-only and parses it.
    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw GGUFError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw GGUFError.cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError.cannotOpen(file: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            throw GGUFError.truncated(file: path, offset: 0, needed: 4, what: "magic")
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw GGUFError.cannotOpen(file: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        let mapped = UnsafeRawBufferPointer(start: base, count: size)
        try self.init(bytes: mapped, name: path, storage: .mapped)
    }

    /// Parses a GGUF image held in memory (tests, fuzzing). The bytes are copied.
    public convenience init(bytes source: [UInt8], name: String = "<memory>") throws {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(source.count, 1), alignment: 64)
        source.withUnsafeBytes { copy.copyMemory(from: $0) }
        try self.init(bytes: UnsafeRawBufferPointer(rebasing: copy[0..<source.count]), name: name, storage: .allocated)
    }

    private init(bytes: UnsafeRawBufferPointer, name: String, storage: Storage) throws {
        do {
            let parsed = try GGUFParser.parse(bytes: bytes, file: name)
            self.path = name
            self.bytes = bytes
            self.storage = storage
            self.version = parsed.version
            self.metadata = parsed.metadata
            self.metadataKeys = parsed.metadataKeys
            self.tensors = parsed.tensors
            self.tensorNames = parsed.tensorNames
            self.alignment = parsed.alignment
            self.dataOffset = parsed.dataOffset
        } catch {
            GGUFFile.release(bytes, storage)
            throw error
        }
    }

    deinit { GGUFFile.release(bytes, storage) }

    private static func release(_ bytes: UnsafeRawBufferPointer, _ storage: Storage) {
        switch storage {
        case .mapped: munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        case .allocated: UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
        }
    }

    // MARK: Tensors

    /// The info for tensor `name`, or `GGUFError.missingTensor`.
    public func tensor(_ name: String) throws -> GGUFTensorInfo {
        guard let info = tensors[name] else { throw GGUFError.missingTensor(file: path, tensor: name) }
        return info
    }

    /// The info for tensor `name`, checked against an expected shape (ne0 first) and, optionally, types.
    public func tensor(_ name: String, shape: [Int], types: [GGMLType]? = nil) throws -> GGUFTensorInfo {
        let info = try tensor(name)
        guard info.shape == shape else {
            throw GGUFError.shapeMismatch(file: path, tensor: name, expected: shape, found: info.shape)
        }
        if let types, !types.contains(info.type) {
            let list = types.map(\.description).joined(separator: " or ")
            throw GGUFError.wrongTensorType(file: path, tensor: name, expected: list, found: info.type)
        }
        return info
    }

    /// The raw bytes of a tensor (inside the read-only mapping; valid while this file object lives).
    public func data(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[info.fileOffset..<(info.fileOffset + info.byteCount)])
    }

    /// The raw bytes of tensor `name`, or `GGUFError.missingTensor`.
    public func data(_ name: String) throws -> UnsafeRawBufferPointer {
        data(try tensor(name))
    }

    // MARK: Metadata accessors (nil when missing or of another kind)

    /// Any integer value, converted (nil if missing, not an integer, or negative).
    public func uint(_ key: String) -> UInt64? {
        guard let value = metadata[key] else { return nil }
        if case .uint64(let v) = value { return v }
        return value.int64Value.flatMap { UInt64(exactly: $0) }
    }

    public func int(_ key: String) -> Int64? { metadata[key]?.int64Value }
    /// Any numeric value as Double.
    public func float(_ key: String) -> Double? { metadata[key]?.doubleValue }
    public func string(_ key: String) -> String? { metadata[key]?.stringValue }
    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }
    public func array(_ key: String) -> [GGUFValue]? { metadata[key]?.arrayValue }

    /// A string array (nil if missing or if any element is not a string).
    public func strings(_ key: String) -> [String]? {
        guard let values = array(key) else { return nil }
        var out: [String] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard case .string(let s) = value else { return nil }
            out.append(s)
        }
        return out
    }

    // MARK: Metadata accessors that throw (missing key / wrong type)

    public func requireUInt(_ key: String) throws -> UInt64 {
        guard let value = metadata[key] else { throw GGUFError.missingKey(file: path, key: key) }
        guard let v = uint(key) else {
            throw GGUFError.wrongValueType(file: path, key: key, expected: "a non-negative integer", found: value.type)
        }
        return v
    }

    public func requireFloat(_ key: String) throws -> Double {
        guard let value = metadata[key] else { throw GGUFError.missingKey(file: path, key: key) }
        guard let v = value.doubleValue else {
            throw GGUFError.wrongValueType(file: path, key: key, expected: "a number", found: value.type)
        }
        return v
    }

    public func requireString(_ key: String) throws -> String {
        guard let value = metadata[key] else { throw GGUFError.missingKey(file: path, key: key) }
        guard let v = value.stringValue else {
            throw GGUFError.wrongValueType(file: path, key: key, expected: "string", found: value.type)
        }
        return v
    }

    public func requireStrings(_ key: String) throws -> [String] {
        guard let value = metadata[key] else { throw GGUFError.missingKey(file: path, key: key) }
        guard let v = strings(key) else {
            throw GGUFError.wrongValueType(file: path, key: key, expected: "array of string", found: value.type)
        }
        return v
    }
}
