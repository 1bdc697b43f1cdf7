// MARK: - The Llama 3 and Qwen2 split

extension PreTokenizer {
    /// The pattern of Llama 3's and Qwen2's tokenizer.json (llama.cpp: LLAMA_VOCAB_PRE_TYPE_LLAMA3 and
    /// _QWEN2), with D = `maxDigits` (3 for Llama 3, 1 for Qwen2):
    ///   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*
    ///   |\s*[\r\n]+|\s+(?!\S)|\s+
    /// matched by hand over unicode scalars, alternatives in order at each position, as a
    /// backtracking regex engine would.
    static func splitLlama3(_ s: [Unicode.Scalar], maxDigits: Int, into pieces: inout [String]) {
        let end = s.count
        var i = 0
        func emit(_ j: Int) {
            pieces.append(piece(s, i..<j))
            i = j
        }
        while i < end {
            let c = s[i]
            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            if c == "'", i + 1 < end {
                let c1 = lowerASCII(s[i + 1])
                if c1 == "s" || c1 == "t" || c1 == "m" || c1 == "d" { emit(i + 2); continue }
                if i + 2 < end {
                    let c2 = lowerASCII(s[i + 2])
                    if (c1 == "r" && c2 == "e") || (c1 == "v" && c2 == "e") || (c1 == "l" && c2 == "l") {
                        emit(i + 3); continue
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if isLetter(c) { emit(run(s, from: i, to: end, where: isLetter)); continue }
            if !isNewline(c) && !isNumber(c) && i + 1 < end && isLetter(s[i + 1]) {
                emit(run(s, from: i + 1, to: end, where: isLetter)); continue
            }
            // \p{N}{1,D}
            if isNumber(c) {
                var j = i
                while j < end && j - i < maxDigits && isNumber(s[j]) { j += 1 }
                emit(j); continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let k = (c == " " && i + 1 < end) ? i + 1 : i
            if isOther(s[k]) {
                let j = run(s, from: k, to: end, where: isOther)
                emit(run(s, from: j, to: end, where: isNewline)); continue
            }
            // c is whitespace here. `\s*[\r\n]+`: up to the last newline of the whitespace run.
            let j = run(s, from: i, to: end, where: isSpace)
            if let last = (i..<j).last(where: { isNewline(s[$0]) }) { emit(last + 1); continue }
            // `\s+(?!\S)` then `\s+`
            if j == end || j - i == 1 { emit(j) } else { emit(j - 1) }
        }
    }

    static func isNewline(_ s: Unicode.Scalar) -> Bool { s == "\r" || s == "\n" }

    private static func lowerASCII(_ s: Unicode.Scalar) -> Unicode.Scalar {
        s >= "A" && s <= "Z" ? Unicode.Scalar(s.value + 32)! : s
    }
}
