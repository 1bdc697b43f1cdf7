// MARK: - Incremental decoding

/// Turns a stream of token ids into text as it is generated, holding back the bytes of a UTF-8
/// character that is split across tokens (emoji, CJK) until it is complete. Bytes that can never
/// become valid UTF-8 come out as U+FFFD.
public struct TokenStreamDecoder {
    private let tokenizer: any TextTokenizer
    private var pending: [UInt8] = []

    public init(tokenizer: any TextTokenizer) { self.tokenizer = tokenizer }

    /// The text completed by `id` (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        pending += tokenizer.tokenBytes(id)
        let keep = TokenStreamDecoder.incompleteTail(pending)
        let ready = pending[..<(pending.count - keep)]
        let text = String(decoding: ready, as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// Whatever is still held back (as U+FFFD if incomplete).
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// How many bytes at the end of `bytes` start a UTF-8 character that is not complete yet (0...3).
    static func incompleteTail(_ bytes: [UInt8]) -> Int {
        // Look back over at most 3 continuation bytes for a lead byte.
        var i = bytes.count - 1
        var continuation = 0
        while i >= 0 && continuation < 3 && bytes[i] & 0xC0 == 0x80 { i -= 1; continuation += 1 }
        guard i >= 0 else { return 0 }
        let lead = bytes[i]
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 0  // ASCII or invalid lead: nothing to wait for
        }
        return continuation + 1 < length ? continuation + 1 : 0
    }
}
