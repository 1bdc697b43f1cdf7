// The text of a run as the Tokens view shows it (prompt tokens, then each step's emitted token),
// searchable: a match is the range of token positions it covers, and each position has the step
// at which it is on screen.

import Foundation

/// The Tokens view's search: the text looked for and the match the cursor went to (token positions).
public struct TokenSearch: Equatable, Sendable {
    public var query = ""
    public var hit: Range<Int>?
    public init(query: String = "", hit: Range<Int>? = nil) { self.query = query; self.hit = hit }
}

struct TokenText {
    /// Token texts by position: the prompt's, then the generated ones.
    let tokens: [String]
    let promptCount: Int
    let stepCount: Int
    /// The tokens joined, and the UTF-8 offset where each token starts in it.
    let joined: String
    let starts: [Int]

    /// The text of `t`'s run, built once per run length (a long run has 32K tokens).
    static func of(_ t: TraceModel) -> TokenText {
        if let c = t.binned.text, c.stepCount == t.stepCount { return c }
        let text = TokenText(t)
        if !t.incomplete { t.binned.text = text }
        return text
    }

    init(_ t: TraceModel) {
        var tokens = t.header.promptTokens.map(\.text)
        promptCount = tokens.count
        stepCount = t.stepCount
        for s in 0..<t.stepCount {
            guard let info = t.stepInfo(s), let e = info.emittedToken else { continue }
            let p = info.position + info.queryCount
            if p >= tokens.count { tokens += Array(repeating: "", count: p - tokens.count + 1) }
            tokens[p] = e.text
        }
        self.tokens = tokens
        var starts: [Int] = [], joined = ""
        for tok in tokens { starts.append(joined.utf8.count); joined += tok }
        self.starts = starts
        self.joined = joined
    }

    /// Every occurrence of `query` (case-insensitive, across token boundaries), as token ranges.
    func matches(of query: String) -> [Range<Int>] {
        guard !query.isEmpty else { return [] }
        let text = joined
        func token(at offset: Int) -> Int {   // the last token starting at or before offset
            var lo = 0, hi = starts.count - 1
            while lo < hi { let mid = (lo + hi + 1) / 2; if starts[mid] <= offset { lo = mid } else { hi = mid - 1 } }
            return lo
        }
        var out: [Range<Int>] = []
        var from = text.startIndex
        while let r = text.range(of: query, options: [.caseInsensitive], range: from..<text.endIndex) {
            let a = text.utf8.distance(from: text.startIndex, to: r.lowerBound)
            let b = text.utf8.distance(from: text.startIndex, to: r.upperBound)
            out.append(token(at: a)..<(token(at: max(a, b - 1)) + 1))
            from = r.upperBound > r.lowerBound ? r.upperBound : text.index(after: r.lowerBound)
        }
        return out
    }

    /// The first step whose Tokens view shows position `p` (a prompt token: the prefill; a generated
    /// token: the step that reads it as its query, or the last step for the final token).
    func step(showing p: Int) -> Int {
        guard p >= promptCount else { return 0 }
        return min(max(0, stepCount - 1), p - promptCount + 1)
    }

    /// The position of the query token at `step` (the last prompt token for the prefill).
    func queryPosition(step: Int) -> Int { step == 0 ? 0 : promptCount + step - 1 }
}
