// MARK: - The llama family's variants: facts a file states in its metadata and tensors

extension ModelConfig {
    /// Llama 3's RoPE frequency factors, as llama.cpp's converter names the tensor (no `blk.` prefix:
    /// one vector for every layer).
    static let ropeFactorsTensor = "rope_freqs.weight"

    /// What distinguishes Llama 3, Mistral and Qwen2 files from SmolLM2's:
    /// - `<arch>.rope.scaling.type` other than `none` (linear, yarn, longrope) is refused: Llama 3's
    ///   scaling arrives as `rope_freqs.weight` instead, which is read when present;
    /// - `llama.attention.sliding_window` (Mistral): every layer attends to that many positions
    ///   (its own and the window − 1 before it); 0 or absent means no window;
    /// - biases on Q, K and V: required for `qwen2`, used when a llama file has them.
    static func llamaVariant(gguf: GGUFFile, family: ModelFamily, blockCount: Int) throws
        -> (windows: [Int?], biases: Bool, ropeFactors: Bool) {
        let file = gguf.path, arch = family.rawValue
        let scalingKey = "\(arch).rope.scaling.type"
        if gguf.metadata[scalingKey] != nil {
            let scaling = try gguf.requireString(scalingKey)
            guard scaling == "none" else {
                throw GGUFError.invalidValue(
                    file: file, key: scalingKey, value: scaling,
                    reason: "RoPE scaling '\(scaling)' is not supported (attnscope runs 'none', and Llama 3's \(ropeFactorsTensor))")
            }
        }
        var windows = [Int?](repeating: nil, count: blockCount)
        let windowKey = "\(arch).attention.sliding_window"
        if family == .llama, gguf.metadata[windowKey] != nil {
            let window = try gguf.requireUInt(windowKey)
            guard window == 0 || (window >= 2 && window <= 1 << 31) else {
                throw GGUFError.invalidValue(file: file, key: windowKey, value: String(window), reason: "must be 0 (none) or in 2...2^31")
            }
            if window > 0 { windows = Array(repeating: Int(window), count: blockCount) }
        }
        let biases = family == .qwen2 || gguf.tensors["blk.0.attn_q.bias"] != nil
        return (windows, biases, gguf.tensors[ropeFactorsTensor] != nil)
    }
}
