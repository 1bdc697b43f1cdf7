// MARK: - The decoder families this runtime runs

/// The decoder families this runtime runs, by `general.architecture`.
public enum ModelFamily: String, Sendable, CaseIterable {
    /// Llama, SmolLM2, Llama 3, Mistral: RMSNorm → attention → RMSNorm → SwiGLU, adjacent-pair RoPE
    /// (llama.cpp's converter permutes Q and K for it). Optional: `rope_freqs.weight` (Llama 3's
    /// per-frequency RoPE factors), `llama.attention.sliding_window` (Mistral: every layer windowed),
    /// biases on Q, K and V.
    case llama
    /// Gemma 3: norms before and after attention and the FFN, QK-norm, GeGLU (tanh GELU),
    /// rotate-half RoPE, embeddings × sqrt(hidden), sliding-window layers with every
    /// `pattern`-th layer global.
    case gemma3
    /// Qwen2 / Qwen2.5: the llama layer with biases on Q, K and V (required) and rotate-half RoPE
    /// (the converter does not permute Qwen2's Q and K, so llama.cpp runs it as NeoX RoPE).
    case qwen2
}
