// MARK: - GPT-2 byte <-> unicode mapping

/// Byte-level BPE works on bytes, but its vocabulary is stored as text: GPT-2 maps each of the 256
/// byte values to a printable unicode character (printable Latin-1 bytes map to themselves, the others
/// to U+0100...). "Ġ" (U+0120) is the space byte 0x20, "Ċ" (U+010A) the newline.
/// Based on: bytes_to_unicode() in openai/gpt-2 src/encoder.py.
enum ByteLevel {
    /// byteToScalar[b] = the character that stands for byte b.
    static let byteToScalar: [Unicode.Scalar] = {
        var printable: [Int] = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var scalars = printable
        var extra = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b)
            scalars.append(256 + extra)
            extra += 1
        }
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for (b, s) in zip(printable, scalars) { table[b] = Unicode.Scalar(UInt32(s))! }
        return table
    }()

    /// The inverse: character -> byte (nil for characters that stand for no byte).
    static let scalarToByte: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { map[s] = UInt8(b) }
        return map
    }()

    /// The vocabulary form of raw bytes ("Ġthe" for " the").
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = String.UnicodeScalarView()
        for b in bytes { out.append(byteToScalar[Int(b)]) }
        return String(out)
    }

    /// Raw bytes of a vocabulary string; characters outside the mapping keep their own UTF-8 bytes.
    static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for s in text.unicodeScalars {
            if let b = scalarToByte[s] { out.append(b) } else { out.append(contentsOf: String(s).utf8) }
        }
        return out
    }
}
