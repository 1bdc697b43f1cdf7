// The weights of a llama-family or Gemma 3 decoder, named as in GGUF (blk.N.attn_q, ...). Matrices
// stay in their stored (quantized) format in the memory-mapped file; norm vectors are copied as f32.
// Gemma 3's extra norms (QK-norm, after attention, after the FFN) are nil for llama files; the
// Q/K/V biases (Qwen2) and the RoPE frequency factors (Llama 3) are nil when the file has none.

public struct LlamaLayerWeights: Sendable {
    public let attnNorm: [Float]          // [D]
    public let wq: WeightMatrix           // [H·d, D]
    public let wk: WeightMatrix           // [G·d, D]
    public let wv: WeightMatrix           // [G·d, D]
    public let wo: WeightMatrix           // [D, H·d]
    public let ffnNorm: [Float]           // [D]
    public let wGate: WeightMatrix        // [F, D]
    public let wUp: WeightMatrix          // [F, D]
    public let wDown: WeightMatrix        // [D, F]
    public var qNorm: [Float]? = nil            // [d] RMSNorm weight over each query head
    public var kNorm: [Float]? = nil            // [d] over each key head
    public var postAttentionNorm: [Float]? = nil  // [D] on the attention output, before the residual
    public var postFFNNorm: [Float]? = nil        // [D] on the FFN output, before the residual
    public var bq: [Float]? = nil                 // [H·d] added to the query projection
    public var bk: [Float]? = nil                 // [G·d]
    public var bv: [Float]? = nil                 // [G·d]
}

public struct LlamaWeights: Sendable {
    public let tokenEmbedding: WeightMatrix   // [vocab, D]
    public let layers: [LlamaLayerWeights]
    public let outputNorm: [Float]            // [D]
    /// The LM head [vocab, D]: `output.weight`, or `token_embd.weight` when embeddings are tied.
    public let output: WeightMatrix
    /// `rope_freqs.weight` [r/2]: pair i's angle is divided by factor i (Llama 3), every layer.
    public let ropeFrequencyFactors: [Float]?

    /// Reads every tensor the forward pass needs; shapes are checked against `config` first.
    public init(gguf: GGUFFile, config: ModelConfig) throws {
        try config.validateTensors(in: gguf)
        tokenEmbedding = try WeightMatrix(gguf: gguf, name: "token_embd.weight")
        output = config.tiedEmbeddings ? tokenEmbedding : try WeightMatrix(gguf: gguf, name: "output.weight")
        outputNorm = try vectorTensor(gguf, "output_norm.weight")
        ropeFrequencyFactors = config.ropeFrequencyFactors ? try vectorTensor(gguf, ModelConfig.ropeFactorsTensor) : nil
        layers = try (0..<config.blockCount).map { l in
            let p = "blk.\(l)."
            var layer = LlamaLayerWeights(
                attnNorm: try vectorTensor(gguf, p + "attn_norm.weight"),
                wq: try WeightMatrix(gguf: gguf, name: p + "attn_q.weight"),
                wk: try WeightMatrix(gguf: gguf, name: p + "attn_k.weight"),
                wv: try WeightMatrix(gguf: gguf, name: p + "attn_v.weight"),
                wo: try WeightMatrix(gguf: gguf, name: p + "attn_output.weight"),
                ffnNorm: try vectorTensor(gguf, p + "ffn_norm.weight"),
                wGate: try WeightMatrix(gguf: gguf, name: p + "ffn_gate.weight"),
                wUp: try WeightMatrix(gguf: gguf, name: p + "ffn_up.weight"),
                wDown: try WeightMatrix(gguf: gguf, name: p + "ffn_down.weight"))
            if config.attentionBiases {
                layer.bq = try vectorTensor(gguf, p + "attn_q.bias")
                layer.bk = try vectorTensor(gguf, p + "attn_k.bias")
                layer.bv = try vectorTensor(gguf, p + "attn_v.bias")
            }
            if config.family == .gemma3 {
                layer.qNorm = try vectorTensor(gguf, p + "attn_q_norm.weight")
                layer.kNorm = try vectorTensor(gguf, p + "attn_k_norm.weight")
                layer.postAttentionNorm = try vectorTensor(gguf, p + "post_attention_norm.weight")
                layer.postFFNNorm = try vectorTensor(gguf, p + "post_ffw_norm.weight")
            }
            return layer
        }
    }
}
