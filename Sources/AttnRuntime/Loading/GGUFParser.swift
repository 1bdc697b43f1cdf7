// MARK: - Header parsing

/// The parsed header of a GGUF file; `GGUFFile` wraps it with the bytes.
struct GGUFHeader {
    var version: UInt32 = 0
    var metadata: [String: GGUFValue] = [:]
    var metadataKeys: [String] = []
    var tensors: [String: GGUFTensorInfo] = [:]
    var tensorNames: [String] = []
    var alignment = 32
    var dataOffset = 0
}

/// Parses and validates a GGUF header against the bytes it came with.
///
/// File layout (little-endian): "GGUF", uint32 version, uint64 tensor count, uint64 metadata count,
/// metadata (string key, uint32 type, value)*, tensor infos (string name, uint32 n_dims,
/// uint64 ne[n_dims], uint32 ggml type, uint64 offset)*, padding to `general.alignment`, tensor data.
enum GGUFParser {
    static let magic: [UInt8] = [0x47, 0x47, 0x55, 0x46]  // "GGUF"
    static let maxDimensions = 4
    static let maxArrayNesting = 8

    static func parse(bytes: UnsafeRawBufferPointer, file: String) throws -> GGUFHeader {
        var cursor = GGUFCursor(bytes: bytes, file: file)
        var header = GGUFHeader()

        try cursor.need(4, "magic")
        let found = Array(bytes[0..<4])
        guard found == magic else { throw GGUFError.badMagic(file: file, found: found) }
        _ = try cursor.read(UInt32.self, "magic")
        header.version = try cursor.read(UInt32.self, "version")
        guard header.version == 2 || header.version == 3 else {
            throw GGUFError.unsupportedVersion(file: file, version: header.version)
        }
        // Smallest possible entries: a tensor info is 8+4+8+4+8 bytes, a metadata pair 8+4+1.
        let tensorCount = try cursor.read(UInt64.self, "tensor count")
        let metadataCount = try cursor.read(UInt64.self, "metadata count")
        if tensorCount > UInt64(cursor.remaining / 32) {
            throw GGUFError.countTooLarge(file: file, offset: 8, what: "tensor count", count: tensorCount)
        }
        if metadataCount > UInt64(cursor.remaining / 13) {
            throw GGUFError.countTooLarge(file: file, offset: 16, what: "metadata count", count: metadataCount)
        }

        // Metadata
        for _ in 0..<Int(metadataCount) {
            let keyOffset = cursor.offset
            let key = try cursor.readString("metadata key")
            let rawType = try cursor.read(UInt32.self, "type of metadata key '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.unknownValueType(file: file, offset: cursor.offset - 4, key: key, rawType: rawType)
            }
            let value = try readValue(type, key: key, depth: 0, cursor: &cursor)
            if header.metadata[key] != nil {
                throw GGUFError.duplicateKey(file: file, offset: keyOffset, key: key)
            }
            header.metadata[key] = value
            header.metadataKeys.append(key)
        }
        if let value = header.metadata["general.alignment"] {
            guard let a = value.int64Value, a > 0, a <= 1 << 30, a & (a - 1) == 0 else {
                throw GGUFError.badAlignment(file: file, alignment: value.int64Value ?? -1)
            }
            header.alignment = Int(a)
        }

        // Tensor infos: offsets are checked once the data section start is known.
        var pending: [(name: String, type: GGMLType, shape: [Int], offset: UInt64, bytes: Int)] = []
        pending.reserveCapacity(Int(tensorCount))
        for _ in 0..<Int(tensorCount) {
            let infoOffset = cursor.offset
            let name = try cursor.readString("tensor name")
            let dimOffset = cursor.offset
            let nDims = try cursor.read(UInt32.self, "dimension count of tensor '\(name)'")
            guard nDims >= 1, nDims <= UInt32(maxDimensions) else {
                throw GGUFError.badDimensionCount(file: file, offset: dimOffset, tensor: name, count: nDims)
            }
            var dims: [UInt64] = []
            for d in 0..<Int(nDims) {
                dims.append(try cursor.read(UInt64.self, "dimension \(d) of tensor '\(name)'"))
            }
            let typeOffset = cursor.offset
            let rawType = try cursor.read(UInt32.self, "type of tensor '\(name)'")
            let offset = try cursor.read(UInt64.self, "data offset of tensor '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw GGUFError.unsupportedTensorType(file: file, offset: typeOffset, tensor: name, rawType: rawType)
            }
            let shape = try checkedShape(dims, type: type, tensor: name, file: file, offset: dimOffset)
            let rows = shape.dropFirst().reduce(1, *)  // no overflow: checkedShape bounded the product
            let (byteCount, overflow) = type.rowBytes(count: shape[0])!.multipliedReportingOverflow(by: rows)
            if overflow {
                throw GGUFError.badShape(file: file, offset: dimOffset, tensor: name, shape: dims, reason: "byte size overflows")
            }
            if header.tensors[name] != nil {
                throw GGUFError.duplicateTensor(file: file, offset: infoOffset, tensor: name)
            }
            header.tensors[name] = GGUFTensorInfo(name: name, type: type, shape: shape, fileOffset: 0, byteCount: byteCount)
            pending.append((name, type, shape, offset, byteCount))
        }

        // Data section: starts at the next multiple of the alignment after the header.
        let a = header.alignment
        let headerEnd = cursor.offset
        let (padded, overflow) = headerEnd.addingReportingOverflow(a - 1)
        header.dataOffset = overflow ? Int.max : padded / a * a
        if header.dataOffset > bytes.count && !pending.isEmpty {
            throw GGUFError.truncated(
                file: file, offset: headerEnd, needed: header.dataOffset - bytes.count, what: "padding before tensor data")
        }

        for t in pending where t.offset % UInt64(a) != 0 {
            throw GGUFError.misalignedTensor(file: file, tensor: t.name, offset: t.offset, alignment: a)
        }
        // Before the file-size check: a tensor that runs into the next one is mis-sized whatever the file's length.
        try checkNoOverlap(pending, file: file)
        for t in pending {
            let start = UInt64(header.dataOffset).addingReportingOverflow(t.offset)
            let end = start.partialValue.addingReportingOverflow(UInt64(t.bytes))
            if start.overflow || end.overflow || end.partialValue > UInt64(bytes.count) {
                throw GGUFError.tensorOutOfBounds(
                    file: file, tensor: t.name, start: start.overflow ? UInt64.max : start.partialValue,
                    byteCount: t.bytes, fileSize: bytes.count)
            }
            header.tensors[t.name] = GGUFTensorInfo(
                name: t.name, type: t.type, shape: t.shape, fileOffset: Int(start.partialValue), byteCount: t.bytes)
            header.tensorNames.append(t.name)
        }
        return header
    }

    /// Each tensor's data ends before the next one (by offset) begins; otherwise the shape claims more
    /// bytes than were stored for it (for instance a K-quant tensor written with another type's size).
    private static func checkNoOverlap(
        _ tensors: [(name: String, type: GGMLType, shape: [Int], offset: UInt64, bytes: Int)], file: String
    ) throws {
        let byOffset = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where b.offset - a.offset < UInt64(a.bytes) {
            throw GGUFError.tensorSizeMismatch(
                file: file, tensor: a.name, type: a.type, shape: a.shape, byteCount: a.bytes,
                available: Int(b.offset - a.offset), next: b.name)
        }
    }

    /// Dimensions as Ints, each > 0, product without overflow, ne0 a whole number of blocks.
    private static func checkedShape(
        _ dims: [UInt64], type: GGMLType, tensor: String, file: String, offset: Int
    ) throws -> [Int] {
        var product: Int64 = 1
        for d in dims {
            guard d > 0, d <= UInt64(Int64.max) else {
                throw GGUFError.badShape(file: file, offset: offset, tensor: tensor, shape: dims, reason: "dimension \(d) out of range")
            }
            let (p, overflow) = product.multipliedReportingOverflow(by: Int64(d))
            guard !overflow, p <= Int64(Int32.max) * 64 else {
                throw GGUFError.badShape(file: file, offset: offset, tensor: tensor, shape: dims, reason: "element count overflows")
            }
            product = p
        }
        guard dims[0] % UInt64(type.blockSize) == 0 else {
            throw GGUFError.rowNotWholeBlocks(file: file, offset: offset, tensor: tensor, type: type, rowLength: dims[0])
        }
        return dims.map { Int($0) }
    }

    // MARK: Values

    private static func readValue(
        _ type: GGUFValueType, key: String, depth: Int, cursor: inout GGUFCursor
    ) throws -> GGUFValue {
        let what = "value of metadata key '\(key)'"
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, what))
        case .int8: return .int8(try cursor.read(Int8.self, what))
        case .uint16: return .uint16(try cursor.read(UInt16.self, what))
        case .int16: return .int16(try cursor.read(Int16.self, what))
        case .uint32: return .uint32(try cursor.read(UInt32.self, what))
        case .int32: return .int32(try cursor.read(Int32.self, what))
        case .uint64: return .uint64(try cursor.read(UInt64.self, what))
        case .int64: return .int64(try cursor.read(Int64.self, what))
        case .float32: return .float32(try cursor.readFloat(what))
        case .float64: return .float64(try cursor.readDouble(what))
        case .bool: return .bool(try cursor.read(UInt8.self, what) != 0)
        case .string: return .string(try cursor.readString(what))
        case .array:
            let at = cursor.offset
            guard depth < maxArrayNesting else {
                throw GGUFError.arrayNestingTooDeep(file: cursor.file, offset: at, key: key)
            }
            let rawType = try cursor.read(UInt32.self, "element type of metadata key '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.unknownValueType(file: cursor.file, offset: at, key: key, rawType: rawType)
            }
            // A string needs at least its 8-byte length; an array its 4-byte type + 8-byte count.
            let minBytes = elementType.fixedSize ?? (elementType == .string ? 8 : 12)
            let count = try cursor.readCount("element count of metadata key '\(key)'", minBytesEach: minBytes)
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                values.append(try readValue(elementType, key: key, depth: depth + 1, cursor: &cursor))
            }
            return .array(elementType: elementType, values: values)
        }
    }
}
