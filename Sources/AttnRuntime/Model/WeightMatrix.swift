// A weight matrix as the kernels read it: row-major [rows, cols] in a format they handle
// directly, usually pointing into the memory-mapped GGUF file (nothing is copied). Types the
// kernels do not read directly (F16, BF16, Q5_1, Q2_K, Q3_K) are converted to f32 once, at load.

public struct WeightMatrix: @unchecked Sendable {
    public let name: String
    public let format: QuantFormat
    public let rows: Int     // GGUF ne1: outputs
    public let cols: Int     // GGUF ne0: inputs
    public let data: UnsafeRawPointer
    /// Keeps converted f32 data alive when the matrix does not point into the file.
    private let owner: AnyObject?

    public init(name: String, format: QuantFormat, rows: Int, cols: Int, data: UnsafeRawPointer, owner: AnyObject? = nil) {
        self.name = name; self.format = format; self.rows = rows; self.cols = cols; self.data = data; self.owner = owner
    }

    /// The tensor `name` of a GGUF file, expected to be [cols (ne0), rows (ne1)].
    /// Adapter between the loader's `GGMLType` and the kernels' `QuantFormat`.
    public init(gguf: GGUFFile, name: String) throws {
        let info = try gguf.tensor(name)
        let cols = info.rowLength, rows = info.rowCount
        let bytes = try gguf.data(name)
        let direct = QuantFormat(info.type)
        if let direct {
            self.init(name: name, format: direct, rows: rows, cols: cols, data: bytes.baseAddress!)
        } else {
            let box = FloatBox(Dequantize.tensor(info, data: bytes))
            self.init(name: name, format: .f32, rows: rows, cols: cols,
                      data: UnsafeRawPointer(box.pointer), owner: box)
        }
    }

    /// Bytes of one stored row.
    public var rowBytes: Int { format.rowBytes(cols: cols) }

    /// out [rows.count, cols] = rows of W as f32.
    public func dequantize(into out: UnsafeMutablePointer<Float>, rows r: Range<Int>) {
        dequantizeRows(out, data, format: format, cols: cols, rows: r)
    }
}

/// A heap array of floats with a stable address.
final class FloatBox {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(_ values: [Float]) {
        count = values.count
        pointer = .allocate(capacity: max(1, count))
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }
    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.update(repeating: 0, count: max(1, count))
    }
    deinit { pointer.deallocate() }
}

/// A 1-D f32 vector from a GGUF tensor (norm weights), dequantized if stored otherwise.
func vectorTensor(_ gguf: GGUFFile, _ name: String) throws -> [Float] {
    let info = try gguf.tensor(name)
    return Dequantize.tensor(info, data: try gguf.data(name))
}
