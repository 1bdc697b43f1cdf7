// Extra consumers of a parsed file, exercised by the fuzz target: the tokenizer the file names
// (byte-level BPE with any pre-tokenizer, or SentencePiece) is built from the fuzzed metadata and run
// on a fixed text plus the file's own general.name (which the fuzzer mutates), and on the last 256
// input bytes as arbitrary (often invalid) UTF-8.
enum FuzzExtras {
    static func run(_ gguf: GGUFFile, input: [UInt8]) {
        guard let tokenizer = try? loadTokenizer(gguf: gguf) else { return }
        let text = "Hello wörld 123 🙂 <|im_start|>user\n" + (gguf.string("general.name") ?? "")
        let ids = tokenizer.encode(text, addBOS: true, allowSpecial: true)
        _ = tokenizer.decode(ids)
        _ = tokenizer.encode(text, addBOS: false, allowSpecial: false)
        var stream = TokenStreamDecoder(tokenizer: tokenizer)
        for id in ids { _ = stream.append(id) }
        _ = stream.flush()
        _ = tokenizer.chatTemplate([ChatMessage(role: "user", content: text)])
        _ = tokenizer.tokenText(Int32(truncatingIfNeeded: ids.count) - 2)
        let raw = Array(input.suffix(256))
        _ = tokenizer.encode(String(decoding: raw, as: UTF8.self), addBOS: false, allowSpecial: true)
        if let bpe = tokenizer as? BPETokenizer {
            let rawIDs = bpe.encode(bytes: raw)
            _ = bpe.decodeBytes(rawIDs)
            _ = bpe.decode(rawIDs)
        }
    }
}
