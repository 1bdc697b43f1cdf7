// MARK: - Pre-tokenization (the "smollm" and "gpt-2" splits; Llama 3 / Qwen2: PreTokenizer+Llama3.swift)

/// The pre-tokenizer a byte-level BPE file names in `tokenizer.ggml.pre` (llama.cpp's names).
public enum PreTokenizerKind: String, Sendable, CaseIterable {
    /// SmolLM2: every digit alone, then the GPT-2 pattern.
    case smollm
    /// GPT-2's pattern (llama.cpp calls it "gpt-2").
    case gpt2 = "gpt-2"
    /// Llama 3 ("llama-bpe"): contractions in any case, letters with one leading non-letter,
    /// numbers of up to 3 digits, newlines kept with the punctuation or whitespace before them;
    /// a piece that is a whole vocabulary entry is that token (ignore_merges), BOS added by default.
    case llama3 = "llama-bpe"
    /// Qwen2: the Llama 3 pattern with single digits; merges as usual.
    case qwen2

    /// The kind of `tokenizer.ggml.pre`; nil for a name this runtime does not implement.
    /// Absent from the file: GPT-2's pattern, the byte-level BPE default.
    public init?(fileValue: String?) {
        switch fileValue {
        case nil, "gpt-2", "gpt2": self = .gpt2
        case "llama-bpe", "llama3", "llama-v3": self = .llama3
        case let value?: self.init(rawValue: value)
        }
    }
}

/// Splits text into the pieces that BPE then encodes one at a time, as llama.cpp's pre-tokenizer type
/// `smollm` (and SmolLM2's tokenizer.json: Digits(individual_digits) then ByteLevel) do:
///   1. every numeric character (\p{N}) is its own piece;
///   2. the rest is split with the GPT-2 pattern
///      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// The pattern is matched by hand over unicode scalars (not grapheme clusters), trying the
/// alternatives in order at each position, like a backtracking regex engine would.
/// Based on: llama.cpp src/llama-vocab.cpp (LLAMA_VOCAB_PRE_TYPE_SMOLLM) and unicode.cpp.
enum PreTokenizer {
    /// Pieces of `text`, in order; their concatenation is `text`.
    static func split(_ text: String, kind: PreTokenizerKind = .smollm) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var pieces: [String] = []
        switch kind {
        case .smollm: break
        case .gpt2:
            splitGPT2(scalars, 0..<scalars.count, into: &pieces)
            return pieces
        case .llama3, .qwen2:
            splitLlama3(scalars, maxDigits: kind == .llama3 ? 3 : 1, into: &pieces)
            return pieces
        }
        var runStart = 0
        for i in 0..<scalars.count where isNumber(scalars[i]) {
            splitGPT2(scalars, runStart..<i, into: &pieces)
            pieces.append(String(scalars[i]))
            runStart = i + 1
        }
        splitGPT2(scalars, runStart..<scalars.count, into: &pieces)
        return pieces
    }

    /// The GPT-2 pattern over s[range]; the end of the range counts as the end of the text.
    static func splitGPT2(_ s: [Unicode.Scalar], _ range: Range<Int>, into pieces: inout [String]) {
        let end = range.upperBound
        var i = range.lowerBound
        func emit(_ j: Int) {
            pieces.append(piece(s, i..<j))
            i = j
        }
        while i < end {
            let c = s[i]
            // 's|'t|'re|'ve|'m|'ll|'d  (case-sensitive)
            if c == "'" && i + 1 < end {
                let c1 = s[i + 1]
                if c1 == "s" || c1 == "t" || c1 == "m" || c1 == "d" { emit(i + 2); continue }
                if i + 2 < end {
                    let c2 = s[i + 2]
                    if (c1 == "r" && c2 == "e") || (c1 == "v" && c2 == "e") || (c1 == "l" && c2 == "l") {
                        emit(i + 3); continue
                    }
                }
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
            let k = (c == " " && i + 1 < end) ? i + 1 : i
            let first = s[k]
            if isLetter(first) { emit(run(s, from: k, to: end, where: isLetter)); continue }
            if isNumber(first) { emit(run(s, from: k, to: end, where: isNumber)); continue }
            if !isSpace(first) { emit(run(s, from: k, to: end, where: isOther)); continue }
            // `\s+(?!\S)` then `\s+`
            let j = run(s, from: i, to: end, where: isSpace)
            if j == end || j - i == 1 { emit(j) } else { emit(j - 1) }
        }
    }

    static func piece(_ s: [Unicode.Scalar], _ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s[range])
        return String(view)
    }

    static func run(_ s: [Unicode.Scalar], from: Int, to end: Int, where test: (Unicode.Scalar) -> Bool) -> Int {
        var j = from
        while j < end && test(s[j]) { j += 1 }
        return j
    }

    // MARK: Character classes

    /// \p{L}
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// \p{N}
    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s >= "0" && s <= "9" }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// \s (Unicode White_Space)
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s == " " || (s.value >= 0x09 && s.value <= 0x0D) }
        return s.properties.isWhitespace
    }

    /// [^\s\p{L}\p{N}]
    static func isOther(_ s: Unicode.Scalar) -> Bool { !isSpace(s) && !isLetter(s) && !isNumber(s) }
}
