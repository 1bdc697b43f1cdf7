// Extra consumers of a parsed file, exercised by the fuzz target: the tokenizer is built from the
// fuzzed metadata and run on a fixed text plus the file's own general.name (which the fuzzer mutates),
// and on the last 256 input bytes as arbitrary (often invalid) UTF-8.
enum FuzzExtras {
    static func run(_ gguf: GGUFFile, input: [UInt8]) {
        guard let tokenizer = try? BPETokenizer(gguf: gguf) else { return }
        let text = "Hello wörld 123 🙂 <|im_start|>user\n" + (gguf.string("general.name") ?? "")
        let ids = tokenizer.encode(text, addBOS: true)
        _ = tokenizer.decode(ids)
        _ = tokenizer.encode(text, allowSpecial: false)
        var stream = TokenStreamDecoder(tokenizer: tokenizer)
        for id in ids { _ = stream.append(id) }
        _ = stream.flush()
        _ = tokenizer.chatTemplate([ChatMessage(role: "user", content: text)])
        _ = tokenizer.tokenText(Int32(truncatingIfNeeded: ids.count) - 2)
        let raw = Array(input.suffix(256))
        let rawIDs = tokenizer.encode(bytes: raw)
        _ = tokenizer.decodeBytes(rawIDs)
        _ = tokenizer.decode(rawIDs)
    }
}
