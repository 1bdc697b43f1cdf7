// MARK: - Encoding arbitrary bytes

extension BPETokenizer {
    /// Token ids for arbitrary bytes, including sequences that are not valid UTF-8.
    /// Valid UTF-8 runs are encoded like `encode(_:)`; each byte of an invalid sequence becomes its
    /// byte token, so `decodeBytes(encode(bytes: b)) == b`. A byte that has no token in the vocabulary
    /// (0xC0, 0xC1 and 0xF5...0xFF never occur in UTF-8, and SmolLM2 has none for them) is encoded
    /// as U+FFFD, which is how any UTF-8 decoder would show it.
    public func encode(bytes: [UInt8], allowSpecial: Bool = true) -> [Int32] {
        var out: [Int32] = []
        var runStart = 0
        var i = 0
        func flush(_ end: Int) {
            if runStart < end {
                out += encode(String(decoding: bytes[runStart..<end], as: UTF8.self), allowSpecial: allowSpecial)
            }
        }
        while i < bytes.count {
            let length = BPETokenizer.validUTF8Length(bytes, at: i)
            if length > 0 { i += length; continue }
            flush(i)
            let id = byteIDs[Int(bytes[i])]
            out += id >= 0 ? [id] : encode("\u{FFFD}", allowSpecial: false)
            i += 1
            runStart = i
        }
        flush(bytes.count)
        return out
    }

    /// Length of the valid UTF-8 character starting at bytes[i], or 0 if none does
    /// (bad lead byte, missing or bad continuation, overlong form, surrogate, above U+10FFFF).
    static func validUTF8Length(_ bytes: [UInt8], at i: Int) -> Int {
        let b0 = bytes[i]
        func cont(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            i + k < bytes.count && range.contains(bytes[i + k])
        }
        switch b0 {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return cont(1) ? 2 : 0
        case 0xE0: return cont(1, 0xA0...0xBF) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : 0
        case 0xED: return cont(1, 0x80...0x9F) && cont(2) ? 3 : 0
        case 0xF0: return cont(1, 0x90...0xBF) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4: return cont(1, 0x80...0x8F) && cont(2) && cont(3) ? 4 : 0
        default: return 0
        }
    }
}
