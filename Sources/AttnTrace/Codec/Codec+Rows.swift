// Attention rows record (kind 6), one per (layer, head) that has rows at this step.
//
//   layer varint · head varint · kind u8 · rows varint · cols varint · tile varint
//   encoding u8 (0 = log8, 1 = half) · rows × cols values, row-major

/// How attention probabilities are stored.
public enum RowEncoding: UInt8, Sendable {
    case log8 = 0   // 1 byte per value, 8-bit log scale (Quantize.log8)
    case half = 1   // 2 bytes per value, IEEE binary16
}

extension Codec {
    static func encode(_ a: AttentionRows, encoding: RowEncoding, into w: inout ByteWriter) {
        w.varint(a.layer); w.varint(a.head); w.u8(a.kind.rawValue)
        w.varint(a.rows); w.varint(a.cols); w.varint(a.tile)
        w.u8(encoding.rawValue)
        w.reserve(a.values.count * (encoding == .log8 ? 1 : 2))
        a.values.withUnsafeBufferPointer { values in
            switch encoding {
            case .log8: for v in values { w.putU8(Quantize.log8(v)) }
            case .half: for v in values { w.putU16(Quantize.half(v)) }
            }
        }
    }

    /// Reads only the (layer, head) that open a rows record.
    static func peekRowsHead(_ r: ByteReader) throws -> (layer: Int, head: Int) {
        var r = r
        return (try r.count("rows layer", cap: Format.maxLayers), try r.count("rows head", cap: Format.maxHeads))
    }

    static func decodeRows(_ r: inout ByteReader, layers: Int, heads: Int) throws -> AttentionRows {
        let layer = try r.count("rows layer", cap: Format.maxLayers)
        let head = try r.count("rows head", cap: Format.maxHeads)
        guard layer < layers, head < heads else {
            throw r.error(.shapeMismatch("rows for layer \(layer) head \(head) in a \(layers) × \(heads) model"))
        }
        let kindByte = try r.u8()
        guard let kind = AttentionRows.Kind(rawValue: kindByte) else {
            throw r.error(.invalidValue(field: "rows kind", value: String(kindByte)))
        }
        let rows = try r.count("rows", cap: Format.maxRowValues)
        let cols = try r.count("cols", cap: Format.maxRowValues)
        let tile = try r.count("tile", cap: Format.maxPosition)
        guard tile >= 1 else { throw r.error(.invalidValue(field: "tile", value: "0")) }
        let (n, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, n <= Format.maxRowValues else {
            throw r.error(.lengthExceedsCap(field: "rows × cols", value: UInt64(rows) &* UInt64(cols),
                                            cap: Format.maxRowValues))
        }
        let encByte = try r.u8()
        guard let encoding = RowEncoding(rawValue: encByte) else {
            throw r.error(.invalidValue(field: "rows encoding", value: String(encByte)))
        }
        let width = encoding == .log8 ? 1 : 2
        let raw = try r.bytes(n * width)
        var values = [Float](repeating: 0, count: n)
        values.withUnsafeMutableBufferPointer { out in
            switch encoding {
            case .log8:
                Quantize.log8Table.withUnsafeBufferPointer { table in
                    for i in 0..<n { out[i] = table[Int(raw[i])] }
                }
            case .half:
                for i in 0..<n {
                    let bits = UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8
                    out[i] = Float(Float16(bitPattern: bits))
                }
            }
        }
        return AttentionRows(layer: layer, head: head, kind: kind, rows: rows, cols: cols, tile: tile, values: values)
    }
}
