import AttnTrace
import Foundation

// MARK: - Buffered text output

/// Collects UTF-8 text and hands it to `sink` in blocks of about 1 MiB, so exporters can write
/// one small string per record without a system call each. Call `finish()` at the end.
public final class TextOutput {
    private var buffer: [UInt8] = []
    private let sink: ([UInt8]) throws -> Void
    private let blockSize: Int

    public init(blockSize: Int = 1 << 20, sink: @escaping ([UInt8]) throws -> Void) {
        self.sink = sink; self.blockSize = blockSize
        buffer.reserveCapacity(blockSize + 4096)
    }

    /// Writes to a file (created or truncated), or to standard output when `path` is nil or "-".
    public static func file(_ path: String?) throws -> TextOutput {
        let handle: FileHandle
        if let path, path != "-" {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            guard let h = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
            handle = h
        } else {
            handle = FileHandle.standardOutput
        }
        return TextOutput { bytes in try handle.write(contentsOf: bytes) }
    }

    public func write(_ s: String) throws {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= blockSize { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try sink(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    public func finish() throws { try flush() }
}

// MARK: - JSON

/// Pretty, key-sorted JSON of a report, ending in a newline; non-finite numbers become the
/// strings "nan", "inf", "-inf".
func prettyJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    // Encoding plain values with a non-finite strategy cannot fail.
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self) + "\n"
}

// MARK: - JSON scalars

/// A JSON string literal, escaped per RFC 8259.
func jsonString(_ s: String) -> String {
    backslashQuoted(s) { u in
        guard u.value < 0x20 else { return nil }
        let hex = String(u.value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

/// A JSON number, or `null` for NaN and infinities (JSON has neither).
func jsonNumber(_ x: Float) -> String { x.isFinite ? "\(x)" : "null" }
func jsonNumber(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
