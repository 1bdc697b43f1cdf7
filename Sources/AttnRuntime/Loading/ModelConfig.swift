// MARK: - Model hyper-parameters from GGUF metadata

/// The hyper-parameters of a decoder, read from `<arch>.*` metadata and validated.
///
/// `general.architecture` must be one of `ModelFamily` (llama, gemma3, qwen2); anything else is
/// `GGUFError.unknownArchitecture`. Derived facts (head dim, GQA group, tied embeddings, per-layer
/// window and RoPE base) are computed here once. Gemma 3's own facts: ModelConfig+Gemma3.swift;
/// the llama family's variants (Qwen2 biases, Llama 3 RoPE factors, Mistral's window):
/// ModelConfig+LlamaVariants.swift.
public struct ModelConfig: Sendable, Equatable {
    public static let supportedArchitectures = ModelFamily.allCases.map(\.rawValue)

    public let architecture: String
    public let family: ModelFamily
    public let blockCount: Int          // layers
    public let embeddingLength: Int     // hidden size (dim)
    public let feedForwardLength: Int   // SwiGLU inner size
    public let headCount: Int           // query heads
    public let headCountKV: Int         // key/value heads (GQA: headCount / headCountKV query heads share one)
    public let headDim: Int             // attention.key_length, else embeddingLength / headCount
    public let ropeFreqBase: Float      // theta (default 10000); Gemma 3: the global layers' base
    public let ropeDimensionCount: Int  // dims rotated per head (default headDim); adjacent pairs (2i, 2i+1)
    public let rmsNormEps: Float
    public let contextLength: Int
    public let vocabSize: Int
    /// True when there is no `output.weight`: the LM head is `token_embd.weight`.
    public let tiedEmbeddings: Bool
    /// Per layer: the native sliding window in positions (a query sees its own position and the
    /// window − 1 before it), or nil for a layer that attends to everything before it.
    public let layerWindows: [Int?]
    /// Per layer: the RoPE base (Gemma 3: a smaller base on its sliding-window layers).
    public let layerRopeBases: [Float]
    /// Which elements RoPE pairs: adjacent for GGUF llama weights (permuted at conversion), halves
    /// (rotate-half) for Gemma 3.
    public let ropeStyle: RoPEStyle
    /// Factor on the token embedding (Gemma: sqrt(hidden)).
    public let embeddingScale: Float
    /// Biases on the Q, K and V projections (`blk.N.attn_q.bias`, ...): required for Qwen2, read
    /// when a llama file has them.
    public let attentionBiases: Bool
    /// The file has `rope_freqs.weight` [rotated dims / 2]: Llama 3's RoPE frequency factors
    /// (each pair's angle is divided by its factor), on every layer.
    public let ropeFrequencyFactors: Bool

    public var kvDim: Int { headCountKV * headDim }
    public var queriesPerKVHead: Int { headCount / headCountKV }

    public init(gguf: GGUFFile) throws {
        let file = gguf.path
        let arch = try gguf.requireString("general.architecture")
        guard ModelConfig.supportedArchitectures.contains(arch) else {
            throw GGUFError.unknownArchitecture(file: file, architecture: arch, supported: ModelConfig.supportedArchitectures)
        }
        architecture = arch
        family = ModelFamily(rawValue: arch)!

        func positive(_ key: String) throws -> Int {
            let v = try gguf.requireUInt(key)
            guard v > 0, v <= 1 << 31 else {
                throw GGUFError.invalidValue(file: file, key: key, value: String(v), reason: "must be in 1...2^31")
            }
            return Int(v)
        }
        blockCount = try positive("\(arch).block_count")
        embeddingLength = try positive("\(arch).embedding_length")
        feedForwardLength = try positive("\(arch).feed_forward_length")
        headCount = try positive("\(arch).attention.head_count")
        headCountKV = gguf.metadata["\(arch).attention.head_count_kv"] == nil
            ? headCount : try positive("\(arch).attention.head_count_kv")
        contextLength = try positive("\(arch).context_length")

        if family == .gemma3 || gguf.metadata["\(arch).attention.key_length"] != nil {
            headDim = try positive("\(arch).attention.key_length")
            if gguf.metadata["\(arch).attention.value_length"] != nil {
                let valueLength = try positive("\(arch).attention.value_length")
                guard valueLength == headDim else {
                    throw GGUFError.invalidValue(
                        file: file, key: "\(arch).attention.value_length", value: String(valueLength),
                        reason: "differs from key_length \(headDim) (not supported)")
                }
            }
        } else {
            guard embeddingLength % headCount == 0 else {
                throw GGUFError.invalidValue(
                    file: file, key: "\(arch).attention.head_count", value: String(headCount),
                    reason: "does not divide embedding_length \(embeddingLength)")
            }
            headDim = embeddingLength / headCount
        }
        guard headCount % headCountKV == 0 else {
            throw GGUFError.invalidValue(
                file: file, key: "\(arch).attention.head_count_kv", value: String(headCountKV),
                reason: "does not divide head_count \(headCount)")
        }

        if family == .gemma3 { _ = try gguf.requireFloat("\(arch).rope.freq_base") }
        ropeFreqBase = Float(gguf.float("\(arch).rope.freq_base") ?? 10000)
        guard ropeFreqBase > 0, ropeFreqBase.isFinite else {
            throw GGUFError.invalidValue(file: file, key: "\(arch).rope.freq_base", value: "\(ropeFreqBase)", reason: "must be > 0")
        }
        ropeDimensionCount = gguf.metadata["\(arch).rope.dimension_count"] == nil
            ? headDim : try positive("\(arch).rope.dimension_count")
        guard ropeDimensionCount <= headDim, ropeDimensionCount % 2 == 0 else {
            throw GGUFError.invalidValue(
                file: file, key: "\(arch).rope.dimension_count", value: String(ropeDimensionCount),
                reason: "must be even and at most the head dim \(headDim)")
        }
        let eps = try gguf.requireFloat("\(arch).attention.layer_norm_rms_epsilon")
        guard eps > 0, eps < 1 else {
            throw GGUFError.invalidValue(
                file: file, key: "\(arch).attention.layer_norm_rms_epsilon", value: "\(eps)", reason: "must be in (0, 1)")
        }
        rmsNormEps = Float(eps)

        // Vocabulary: <arch>.vocab_size if present, else the token list, else the embedding's ne1.
        let embedding = try gguf.tensor("token_embd.weight")
        if gguf.metadata["\(arch).vocab_size"] != nil {
            vocabSize = try positive("\(arch).vocab_size")
        } else if let tokens = gguf.array("tokenizer.ggml.tokens") {
            vocabSize = tokens.count
        } else {
            vocabSize = embedding.shape.count == 2 ? embedding.shape[1] : 0
        }
        guard embedding.shape == [embeddingLength, vocabSize] else {
            throw GGUFError.shapeMismatch(
                file: file, tensor: "token_embd.weight", expected: [embeddingLength, vocabSize], found: embedding.shape)
        }
        tiedEmbeddings = gguf.tensors["output.weight"] == nil

        switch family {
        case .llama, .qwen2:
            let variant = try ModelConfig.llamaVariant(gguf: gguf, family: family, blockCount: blockCount)
            layerWindows = variant.windows
            layerRopeBases = Array(repeating: ropeFreqBase, count: blockCount)
            ropeStyle = family == .qwen2 ? .halves : .adjacentPairs
            embeddingScale = 1
            attentionBiases = variant.biases
            ropeFrequencyFactors = variant.ropeFactors
        case .gemma3:
            let gemma = try ModelConfig.gemma3Layers(gguf: gguf, blockCount: blockCount, globalBase: ropeFreqBase)
            layerWindows = gemma.windows
            layerRopeBases = gemma.bases
            ropeStyle = .halves
            embeddingScale = Float(embeddingLength).squareRoot()
            attentionBiases = false
            ropeFrequencyFactors = false
        }
    }

    public var queryDim: Int { headCount * headDim }
    /// The largest native window of any layer (nil when every layer is global).
    public var slidingWindow: Int? { layerWindows.compactMap { $0 }.max() }

    /// Every tensor the forward pass reads, with its expected shape (ne0 first).
    public var expectedTensors: [(name: String, shape: [Int])] {
        let d = embeddingLength, f = feedForwardLength, qd = queryDim
        var list: [(String, [Int])] = [("token_embd.weight", [d, vocabSize]), ("output_norm.weight", [d])]
        if !tiedEmbeddings { list.append(("output.weight", [d, vocabSize])) }
        if ropeFrequencyFactors { list.append((ModelConfig.ropeFactorsTensor, [ropeDimensionCount / 2])) }
        for layer in 0..<blockCount {
            let p = "blk.\(layer)."
            list += [
                (p + "attn_norm.weight", [d]),
                (p + "attn_q.weight", [d, qd]),
                (p + "attn_k.weight", [d, kvDim]),
                (p + "attn_v.weight", [d, kvDim]),
                (p + "attn_output.weight", [qd, d]),
                (p + "ffn_norm.weight", [d]),
                (p + "ffn_gate.weight", [d, f]),
                (p + "ffn_up.weight", [d, f]),
                (p + "ffn_down.weight", [f, d]),
            ]
            if attentionBiases {
                list += [(p + "attn_q.bias", [qd]), (p + "attn_k.bias", [kvDim]), (p + "attn_v.bias", [kvDim])]
            }
            if family == .gemma3 {
                list += [(p + "attn_q_norm.weight", [headDim]), (p + "attn_k_norm.weight", [headDim]),
                         (p + "post_attention_norm.weight", [d]), (p + "post_ffw_norm.weight", [d])]
            }
        }
        return list
    }

    /// Checks that every expected tensor exists with its expected shape
    /// (`GGUFError.missingTensor` / `.shapeMismatch` otherwise).
    public func validateTensors(in gguf: GGUFFile) throws {
        for (name, shape) in expectedTensors {
            _ = try gguf.tensor(name, shape: shape)
        }
    }
}
