import Foundation

// MARK: - Byte-level BPE tokenizer

/// A byte-level BPE tokenizer (`tokenizer.ggml.model = gpt2`) built from a GGUF file's metadata:
/// tokens, merges, token types, BOS/EOS ids, and the pre-tokenizer `tokenizer.ggml.pre` names
/// (`PreTokenizerKind`: smollm, gpt-2, llama-bpe, qwen2; any other name is refused).
///
/// encode: special tokens (whole, when allowed) -> pre-tokenizer pieces -> UTF-8 bytes -> byte
/// characters -> (llama-bpe: a piece that is a vocabulary entry is that token) -> merges by rank
/// (lowest first, leftmost on ties) -> ids.
/// decode: ids -> bytes -> UTF-8 (invalid sequences become U+FFFD; `decodeBytes` keeps them raw).
/// Thread-safe: the only mutable state is the piece cache, behind a lock.
public final class BPETokenizer: TextTokenizer, @unchecked Sendable {
    /// Vocabulary strings as stored ("Ġthe"), indexed by id.
    public let tokens: [String]
    /// `tokenizer.ggml.token_type` per id (1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte).
    public let tokenTypes: [Int32]
    public let bosID: Int32
    public let eosID: Int32
    /// Ids matched whole before BPE when special tokens are allowed (control and user-defined types).
    public let specialIDs: [Int32]
    /// How text is cut into pieces before BPE (`tokenizer.ggml.pre`).
    public let preTokenizer: PreTokenizerKind
    /// `tokenizer.ggml.add_bos_token` (when absent: true for llama-bpe, as llama.cpp, else false; SmolLM2: false). `encode` never adds BOS on
    /// its own: pass `addBOS: tokenizer.addsBOSByDefault` to follow the file.
    public let addsBOSByDefault: Bool
    /// The chat template from the file (Jinja text), if any.
    public let chatTemplateSource: String?
    public var vocabularySize: Int { tokens.count }

    private let ids: [String: Int32]
    private let tokenBytesTable: [[UInt8]]
    /// (left id << 32 | right id) -> (rank, merged id)
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    /// Vocabulary id of each single byte's character (-1 if the vocabulary lacks it).
    let byteIDs: [Int32]
    private let unknownID: Int32?
    /// Special token byte strings, longest first, for whole-token matching.
    private let specials: [(bytes: [UInt8], id: Int32)]
    /// Piece bytes -> ids. Keyed by bytes, not String: String equality is canonical equivalence, so
    /// ";" (U+037E) and ";" (U+003B) would share an entry.
    private var cache: [[UInt8]: [Int32]] = [:]
    private let cacheLock = NSLock()

    public init(gguf: GGUFFile) throws {
        let file = gguf.path
        let model = try gguf.requireString("tokenizer.ggml.model")
        guard model == "gpt2" else { throw GGUFError.unsupportedTokenizer(file: file, model: model) }
        let tokens = try gguf.requireStrings("tokenizer.ggml.tokens")
        self.tokens = tokens
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw GGUFError.invalidValue(file: file, key: "tokenizer.ggml.tokens", value: "\(tokens.count) tokens", reason: "empty or too many")
        }
        if let values = gguf.array("tokenizer.ggml.token_type") {
            let types = values.map { Int32(clamping: $0.int64Value ?? 1) }
            guard types.count == tokens.count else {
                throw GGUFError.invalidValue(
                    file: file, key: "tokenizer.ggml.token_type", value: "\(types.count) entries",
                    reason: "expected one per token (\(tokens.count))")
            }
            tokenTypes = types
        } else {
            tokenTypes = Array(repeating: 1, count: tokens.count)
        }
        let tokenTypes = self.tokenTypes

        func tokenID(_ key: String) throws -> Int32? {
            guard gguf.metadata[key] != nil else { return nil }
            let v = try gguf.requireUInt(key)
            guard v < UInt64(tokens.count) else {
                throw GGUFError.invalidValue(file: file, key: key, value: String(v), reason: "not a token id (vocabulary has \(tokens.count))")
            }
            return Int32(v)
        }
        bosID = try tokenID("tokenizer.ggml.bos_token_id") ?? 1
        eosID = try tokenID("tokenizer.ggml.eos_token_id") ?? 2
        unknownID = try tokenID("tokenizer.ggml.unknown_token_id")
        chatTemplateSource = gguf.string("tokenizer.chat_template")
        let preName = gguf.string("tokenizer.ggml.pre")
        guard let pre = PreTokenizerKind(fileValue: preName) else {
            throw GGUFError.invalidValue(
                file: file, key: "tokenizer.ggml.pre", value: "'\(preName ?? "")'",
                reason: "pre-tokenizer not supported (supported: \(PreTokenizerKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        preTokenizer = pre
        addsBOSByDefault = gguf.bool("tokenizer.ggml.add_bos_token") ?? (pre == .llama3)

        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = Int32(i) }
        self.ids = ids

        let merged = try gguf.requireStrings("tokenizer.ggml.merges")
        var merges: [UInt64: (rank: Int32, id: Int32)] = [:]
        merges.reserveCapacity(merged.count)
        for (rank, line) in merged.enumerated() {
            // "left right"; the parts never contain a space (spaces are "Ġ" in the byte mapping).
            let utf8 = Array(line.utf8)
            guard utf8.count >= 3, let space = utf8[1...].firstIndex(of: 0x20) else {
                throw GGUFError.invalidValue(
                    file: file, key: "tokenizer.ggml.merges", value: "[\(rank)] \"\(line)\"", reason: "expected \"left right\"")
            }
            let left = String(decoding: utf8[..<space], as: UTF8.self)
            let right = String(decoding: utf8[(space + 1)...], as: UTF8.self)
            guard let l = ids[left], let r = ids[right], let m = ids[left + right] else { continue }
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            if merges[key] == nil { merges[key] = (Int32(rank), m) }
        }
        self.merges = merges
        byteIDs = (0..<256).map { ids[String(ByteLevel.byteToScalar[$0])] ?? -1 }

        var specialIDs: [Int32] = []
        var table: [[UInt8]] = []
        table.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() {
            let special = tokenTypes[i] == 3 || tokenTypes[i] == 4
            if special && !t.isEmpty { specialIDs.append(Int32(i)) }
            table.append(special ? Array(t.utf8) : ByteLevel.decode(t))
        }
        self.specialIDs = specialIDs
        tokenBytesTable = table
        specials = specialIDs.map { (bytes: Array(tokens[Int($0)].utf8), id: $0) }.sorted { $0.bytes.count > $1.bytes.count }
    }

    // MARK: Encode

    /// Token ids of `text`.
    /// - Parameters:
    ///   - addBOS: put `bosID` first (SmolLM2 does not by default).
    ///   - allowSpecial: match special tokens such as `<|im_start|>` as whole tokens; when false they are
    ///     ordinary text.
    public func encode(_ text: String, addBOS: Bool = false, allowSpecial: Bool = true) -> [Int32] {
        var out: [Int32] = addBOS ? [bosID] : []
        let bytes = Array(text.utf8)
        var segmentStart = 0
        var i = 0
        if allowSpecial && !specials.isEmpty {
            while i < bytes.count {
                if let special = specialMatch(bytes, at: i) {
                    encodeOrdinary(bytes[segmentStart..<i], into: &out)
                    out.append(special.id)
                    i += special.length
                    segmentStart = i
                } else {
                    i += 1
                }
            }
        }
        encodeOrdinary(bytes[segmentStart..<bytes.count], into: &out)
        return out
    }

    private func specialMatch(_ bytes: [UInt8], at i: Int) -> (id: Int32, length: Int)? {
        for special in specials where special.bytes.first == bytes[i] && bytes.count - i >= special.bytes.count {
            if bytes[i..<(i + special.bytes.count)].elementsEqual(special.bytes) { return (special.id, special.bytes.count) }
        }
        return nil
    }

    /// Text without special tokens: pre-tokenize, then BPE each piece (cached).
    private func encodeOrdinary(_ utf8: ArraySlice<UInt8>, into out: inout [Int32]) {
        guard !utf8.isEmpty else { return }
        // Segments are cut at special tokens, which start and end on character boundaries.
        let text = String(decoding: utf8, as: UTF8.self)
        for piece in PreTokenizer.split(text, kind: preTokenizer) {
            let bytes = Array(piece.utf8)
            cacheLock.lock()
            let hit = cache[bytes]
            cacheLock.unlock()
            if let hit { out.append(contentsOf: hit); continue }
            let ids = bpe(bytes)
            cacheLock.lock()
            if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
            cache[bytes] = ids
            cacheLock.unlock()
            out.append(contentsOf: ids)
        }
    }

    /// BPE over one piece's bytes: start from one symbol per byte, merge the lowest-ranked adjacent
    /// pair (leftmost on ties) until no pair has a merge.
    func bpe(_ bytes: [UInt8]) -> [Int32] {
        if preTokenizer == .llama3, bytes.count > 1, let whole = ids[ByteLevel.encode(bytes)] { return [whole] }
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        for b in bytes {
            let id = byteIDs[Int(b)]
            if id >= 0 { symbols.append(id) } else if let unknownID { symbols.append(unknownID) }
        }
        while symbols.count > 1 {
            var best: (rank: Int32, index: Int, id: Int32)? = nil
            for i in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(symbols[i])) << 32 | UInt64(UInt32(symbols[i + 1]))
                if let m = merges[key], best == nil || m.rank < best!.rank { best = (m.rank, i, m.id) }
            }
            guard let best else { break }
            symbols[best.index] = best.id
            symbols.remove(at: best.index + 1)
        }
        return symbols
    }

    // MARK: Decode

    /// Raw bytes of one token.
    public func tokenBytes(_ id: Int32) -> [UInt8] {
        id >= 0 && Int(id) < tokens.count ? tokenBytesTable[Int(id)] : []
    }

    public func isSpecial(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < tokens.count && (tokenTypes[Int(id)] == 3 || tokenTypes[Int(id)] == 4)
    }

    /// The id of a vocabulary string ("<|im_end|>", "ĠParis"), if present.
    public func id(of token: String) -> Int32? { ids[token] }
}
