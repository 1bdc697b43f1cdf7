// MARK: - The tokenizer a model file names

/// What the runtime and the commands need from a tokenizer, whichever kind the file holds.
public protocol TextTokenizer: AnyObject, Sendable {
    /// Vocabulary strings as stored, indexed by id.
    var tokens: [String] { get }
    var bosID: Int32 { get }
    var eosID: Int32 { get }
    /// `tokenizer.ggml.add_bos_token`: whether prompts start with BOS (`encode` adds it only when asked).
    var addsBOSByDefault: Bool { get }
    /// The chat template from the file (Jinja text), if any.
    var chatTemplateSource: String? { get }
    /// Token ids of `text`; `allowSpecial` matches control tokens written in the text as whole tokens.
    func encode(_ text: String, addBOS: Bool, allowSpecial: Bool) -> [Int32]
    /// Raw bytes of one token (empty for an out-of-range id).
    func tokenBytes(_ id: Int32) -> [UInt8]
    func isSpecial(_ id: Int32) -> Bool
    /// The id of a vocabulary string, if present.
    func id(of token: String) -> Int32?
}

extension TextTokenizer {
    public var vocabularySize: Int { tokens.count }

    /// The exact bytes of `ids` (may end inside a UTF-8 character); out-of-range ids are skipped,
    /// special tokens appear as their text ("<|im_end|>") unless `skipSpecial`.
    public func decodeBytes(_ ids: [Int32], skipSpecial: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids where id >= 0 && Int(id) < tokens.count {
            if skipSpecial && isSpecial(id) { continue }
            out.append(contentsOf: tokenBytes(id))
        }
        return out
    }

    /// The text of `ids`; bytes that do not form valid UTF-8 become U+FFFD.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecial: skipSpecial), as: UTF8.self)
    }

    /// Display text of one token; a token holding part of a UTF-8 character shows U+FFFD.
    /// Out-of-range ids give "<id N>".
    public func tokenText(_ id: Int32) -> String {
        guard id >= 0 && Int(id) < tokens.count else { return "<id \(id)>" }
        return String(decoding: tokenBytes(id), as: UTF8.self)
    }

    /// The ids of a prompt as the file wants it: BOS first when the file adds BOS.
    public func encodePrompt(_ text: String, allowSpecial: Bool = true) -> [Int32] {
        encode(text, addBOS: addsBOSByDefault, allowSpecial: allowSpecial)
    }
}

/// The tokenizer named by `tokenizer.ggml.model`: byte-level BPE (`gpt2`) or SentencePiece
/// (`llama`); anything else is `GGUFError.unsupportedTokenizer`.
public func loadTokenizer(gguf: GGUFFile) throws -> any TextTokenizer {
    let model = try gguf.requireString("tokenizer.ggml.model")
    switch model {
    case "gpt2": return try BPETokenizer(gguf: gguf)
    case "llama": return try SentencePieceTokenizer(gguf: gguf)
    default: throw GGUFError.unsupportedTokenizer(file: gguf.path, model: model)
    }
}
