// Which sampled tokens end a generation: the model's end-of-sequence token and the special
// tokens that close a turn in the common chat formats, so that an instruct model's answer ends
// where the model ends it instead of running on into a made-up next turn.

/// Special-token texts that end a turn or a text in the chat formats in use.
private let endMarkers: [String] = [
    "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "<|end|>", "<end_of_turn>", "</s>", "<eos>",
]

extension TextTokenizer {
    /// EOS plus every special token of this vocabulary whose text is an end marker.
    public var stopIDs: Set<Int32> {
        var ids: Set<Int32> = [eosID]
        for marker in endMarkers { if let id = id(of: marker), isSpecial(id) { ids.insert(id) } }
        return ids
    }
}

/// Why a generation ended, as the commands report it.
public enum StopReason: Equatable, Sendable {
    /// The requested number of tokens was generated.
    case length(Int)
    /// The model sampled an end token (not counted among the generated tokens).
    case endToken(id: Int32, text: String)
    /// Ctrl-C.
    case interrupted

    public var description: String {
        switch self {
        case .length(let n): return "reached -n \(n)"
        case .endToken(let id, let text): return "the model's end token \(text) (id \(id); --ignore-eos runs to -n)"
        case .interrupted: return "interrupted"
        }
    }
}
