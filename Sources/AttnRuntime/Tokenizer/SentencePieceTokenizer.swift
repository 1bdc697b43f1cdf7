import Foundation

// MARK: - SentencePiece BPE tokenizer

/// A SentencePiece tokenizer (`tokenizer.ggml.model = llama`, e.g. Gemma 3) built from a GGUF
/// file's metadata: tokens, scores, token types, BOS/EOS/UNK ids, add_bos_token.
///
/// The scores are a SentencePiece BPE model's merge priorities, not a Unigram model's
/// log-probabilities. encode, as SentencePiece's BPE model does it: spaces become U+2581 ("▁"; a
/// "▁" is prepended only when the file's add_space_prefix says so); the text is cut into
/// characters, except that user-defined pieces ("\n\n", "<div>") are matched whole (longest first)
/// and never merged; then the adjacent pair whose concatenation is a vocabulary piece of the
/// highest score is merged (leftmost on ties) until none is; a resulting symbol that is not in the
/// vocabulary becomes its bytes as `<0xNN>` tokens (byte fallback). Control tokens written in the
/// text ("<start_of_turn>") are matched whole first when special tokens are allowed.
/// decode: "▁" → space, `<0xNN>` → that byte.
public final class SentencePieceTokenizer: TextTokenizer, @unchecked Sendable {
    public let tokens: [String]
    public let scores: [Float]
    /// `tokenizer.ggml.token_type` per id (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    public let tokenTypes: [Int32]
    public let bosID: Int32
    public let eosID: Int32
    public let unknownID: Int32
    public let addsBOSByDefault: Bool
    public let addsSpacePrefix: Bool
    public let chatTemplateSource: String?

    /// Piece bytes (with "▁") -> id, for every id; `mergeable` marks the pieces merges may form
    /// (normal, user-defined and unused: SentencePiece's own piece table).
    let pieces: PieceTable
    private let mergeable: [Bool]
    /// Decoded bytes per id ("▁" as space, byte tokens as their byte).
    private let tokenBytesTable: [[UInt8]]
    /// `<0xNN>` ids, -1 where the vocabulary lacks one.
    private let byteIDs: [Int32]
    /// User-defined pieces by first byte, longest first: matched whole inside the text.
    private let userDefined: [[(bytes: [UInt8], id: Int32)]]
    /// Control tokens by first byte, longest first: matched whole when special tokens are allowed.
    private let controls: [[(bytes: [UInt8], id: Int32)]]

    public init(gguf: GGUFFile) throws {
        let file = gguf.path
        let model = try gguf.requireString("tokenizer.ggml.model")
        guard model == "llama" else { throw GGUFError.unsupportedTokenizer(file: file, model: model) }
        let tokens = try gguf.requireStrings("tokenizer.ggml.tokens")
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw GGUFError.invalidValue(file: file, key: "tokenizer.ggml.tokens", value: "\(tokens.count) tokens", reason: "empty or too many")
        }
        self.tokens = tokens
        guard let scoreValues = gguf.array("tokenizer.ggml.scores") else {
            throw GGUFError.missingKey(file: file, key: "tokenizer.ggml.scores")
        }
        guard scoreValues.count == tokens.count else {
            throw GGUFError.invalidValue(file: file, key: "tokenizer.ggml.scores", value: "\(scoreValues.count) entries",
                                         reason: "expected one per token (\(tokens.count))")
        }
        var scores: [Float] = []
        scores.reserveCapacity(tokens.count)
        for (i, value) in scoreValues.enumerated() {
            guard let s = value.doubleValue, s.isFinite else {
                throw GGUFError.invalidValue(file: file, key: "tokenizer.ggml.scores", value: "[\(i)] \(value)",
                                             reason: "expected a finite number")
            }
            scores.append(Float(s))
        }
        self.scores = scores
        if let values = gguf.array("tokenizer.ggml.token_type") {
            guard values.count == tokens.count else {
                throw GGUFError.invalidValue(file: file, key: "tokenizer.ggml.token_type", value: "\(values.count) entries",
                                             reason: "expected one per token (\(tokens.count))")
            }
            tokenTypes = values.map { Int32(clamping: $0.int64Value ?? 1) }
        } else {
            tokenTypes = Array(repeating: 1, count: tokens.count)
        }
        func tokenID(_ key: String, _ fallback: Int32) throws -> Int32 {
            guard gguf.metadata[key] != nil else { return fallback }
            let v = try gguf.requireUInt(key)
            guard v < UInt64(tokens.count) else {
                throw GGUFError.invalidValue(file: file, key: key, value: String(v), reason: "not a token id (vocabulary has \(tokens.count))")
            }
            return Int32(v)
        }
        bosID = try tokenID("tokenizer.ggml.bos_token_id", 1)
        eosID = try tokenID("tokenizer.ggml.eos_token_id", 2)
        unknownID = try tokenID("tokenizer.ggml.unknown_token_id", 0)
        addsBOSByDefault = gguf.bool("tokenizer.ggml.add_bos_token") ?? true
        addsSpacePrefix = gguf.bool("tokenizer.ggml.add_space_prefix") ?? true
        chatTemplateSource = gguf.string("tokenizer.chat_template")

        let types = tokenTypes
        pieces = PieceTable(tokens.map { Array($0.utf8) })
        mergeable = types.map { $0 == 1 || $0 == 4 || $0 == 5 }
        var byteIDs = [Int32](repeating: -1, count: 256)
        var table: [[UInt8]] = []
        table.reserveCapacity(tokens.count)
        var user = [[(bytes: [UInt8], id: Int32)]](repeating: [], count: 256)
        var control = [[(bytes: [UInt8], id: Int32)]](repeating: [], count: 256)
        for (i, t) in tokens.enumerated() {
            let bytes = Array(t.utf8)
            if types[i] == 6, let b = SentencePieceTokenizer.byteValue(t) {
                if byteIDs[Int(b)] < 0 { byteIDs[Int(b)] = Int32(i) }
                table.append([b])
                continue
            }
            table.append(SentencePieceTokenizer.unescape(bytes))
            guard let first = bytes.first else { continue }
            if types[i] == 4 { user[Int(first)].append((bytes, Int32(i))) }
            if types[i] == 3 { control[Int(first)].append((bytes, Int32(i))) }
        }
        self.byteIDs = byteIDs
        tokenBytesTable = table
        userDefined = user.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
        controls = control.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
    }

    /// "<0x41>" -> 0x41.
    static func byteValue(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return UInt8(String(decoding: u[3...4], as: UTF8.self), radix: 16)
    }

    /// Piece bytes with each "▁" (E2 96 81) turned into a space.
    static func unescape(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i + 2 < bytes.count, bytes[i] == 0xE2, bytes[i + 1] == 0x96, bytes[i + 2] == 0x81 {
                out.append(0x20); i += 3
            } else {
                out.append(bytes[i]); i += 1
            }
        }
        return out
    }

    // MARK: Encode

    public func encode(_ text: String, addBOS: Bool = false, allowSpecial: Bool = true) -> [Int32] {
        var out: [Int32] = addBOS ? [bosID] : []
        let bytes = Array(text.utf8)
        var segmentStart = 0, i = 0
        if allowSpecial {
            while i < bytes.count {
                if let m = longestMatch(controls[Int(bytes[i])], bytes, at: i) {
                    encodeSegment(bytes[segmentStart..<i], first: segmentStart == 0, into: &out)
                    out.append(m.id)
                    i += m.length
                    segmentStart = i
                } else {
                    i += 1
                }
            }
        }
        encodeSegment(bytes[segmentStart..<bytes.count], first: segmentStart == 0, into: &out)
        return out
    }

    private func longestMatch(_ candidates: [(bytes: [UInt8], id: Int32)], _ bytes: [UInt8], at i: Int) -> (id: Int32, length: Int)? {
        for c in candidates where bytes.count - i >= c.bytes.count {
            if bytes[i..<(i + c.bytes.count)].elementsEqual(c.bytes) { return (c.id, c.bytes.count) }
        }
        return nil
    }

    /// One stretch of text without control tokens: escape spaces, then BPE.
    private func encodeSegment(_ utf8: ArraySlice<UInt8>, first: Bool, into out: inout [Int32]) {
        guard !utf8.isEmpty else { return }
        var normalized: [UInt8] = []
        normalized.reserveCapacity(utf8.count + 3)
        if addsSpacePrefix && first { normalized += [0xE2, 0x96, 0x81] }
        for b in utf8 {
            if b == 0x20 { normalized += [0xE2, 0x96, 0x81] } else { normalized.append(b) }
        }
        bpe(normalized, into: &out)
    }

    /// SentencePiece's BPE over normalised bytes (valid UTF-8), appending the ids to `out`.
    func bpe(_ text: [UInt8], into out: inout [Int32]) {
        // Symbols: a doubly linked list over byte ranges of `text`; a merged-away symbol has length 0.
        var start: [Int32] = [], length: [Int32] = [], prev: [Int32] = [], next: [Int32] = [], frozen: [Bool] = []
        var i = 0
        while i < text.count {
            let n: Int, freeze: Bool
            if let m = longestMatch(userDefined[Int(text[i])], text, at: i) {
                n = m.length; freeze = true
            } else {
                n = min(SentencePieceTokenizer.utf8Length(text[i]), text.count - i); freeze = false
            }
            let index = Int32(start.count)
            start.append(Int32(i)); length.append(Int32(n)); frozen.append(freeze)
            prev.append(index - 1)
            i += n
            next.append(i < text.count ? index + 1 : -1)
        }

        var agenda = PairHeap()
        func consider(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0, !frozen[Int(left)], !frozen[Int(right)] else { return }
            let s = Int(start[Int(left)]), n = Int(length[Int(left)] + length[Int(right)])
            guard let id = pieces.id(text[s..<(s + n)]), mergeable[Int(id)] else { return }
            agenda.push(SymbolPair(score: scores[Int(id)], left: left, right: right, size: Int32(n)))
        }
        for j in 0 ..< Int32(start.count) - 1 { consider(j, j + 1) }
        while let top = agenda.pop() {
            let l = Int(top.left), r = Int(top.right)
            // Stale pairs: a side was merged away or grew since the pair was queued.
            guard length[l] > 0, length[r] > 0, length[l] + length[r] == top.size else { continue }
            length[l] = top.size
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = top.left }
            length[r] = 0
            consider(prev[l], top.left)
            consider(top.left, next[l])
        }

        var j: Int32 = start.isEmpty ? -1 : 0
        while j >= 0 {
            let s = Int(start[Int(j)]), n = Int(length[Int(j)])
            if let id = pieces.id(text[s..<(s + n)]) {
                out.append(id)
            } else {
                for b in text[s..<(s + n)] {
                    let id = byteIDs[Int(b)]
                    out.append(id >= 0 ? id : unknownID)
                }
            }
            j = next[Int(j)]
        }
    }

    /// Bytes of the UTF-8 character that starts with `lead` (1 for a stray continuation byte).
    static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...0xF7: return 4
        case 0xE0...0xEF: return 3
        case 0xC0...0xDF: return 2
        default: return 1
        }
    }

    // MARK: Decode

    public func tokenBytes(_ id: Int32) -> [UInt8] {
        id >= 0 && Int(id) < tokens.count ? tokenBytesTable[Int(id)] : []
    }

    /// Control and unknown tokens (`<bos>`, `<start_of_turn>`, `<unk>`); user-defined pieces such
    /// as "\n\n" are text.
    public func isSpecial(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < tokens.count && (tokenTypes[Int(id)] == 3 || tokenTypes[Int(id)] == 2)
    }

    public func id(of token: String) -> Int32? { pieces.id(Array(token.utf8)[...]) }
}
