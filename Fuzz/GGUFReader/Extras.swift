// Extra consumers of a parsed file, exercised by the fuzz target (tokenizer construction).
enum FuzzExtras {
    static func run(_ gguf: GGUFFile, input: [UInt8]) {}
}
