// Bookmarks (`m` marks the cursor with a name and a note, `'` lists them and jumps) and text search
// in the Tokens view (`/` finds text in the prompt and output and jumps to its step, `n` / `N`
// next / previous match). The bookmarks live in the trace's sidecar file (AttnAnalysis.BookmarkFile).

import AttnAnalysis

extension PromptKind {
    /// What the status line shows before the typed text, and the hint after it.
    func label(_ ctx: ViewContext) -> (String, String) {
        let st = ctx.state
        switch self {
        case .command: return (":", "   (step N, s N, l N, h N, L3H5; Enter, Esc)")
        case .filter: return ("/", "   (sink4>0.5 l3 h2 class; Enter, Esc)")
        case .bookmark: return ("mark L\(st.layer)H\(st.head)@\(st.step) ", "   (NAME note…; empty: \(ctx.app.bookmarks?.freshName() ?? "m1"); Enter, Esc)")
        case .search: return ("search: ", "   (text in the prompt and output; Enter, Esc; then n / N)")
        }
    }
}

extension App {
    /// Keys while the bookmark list is open: move, jump, close; every other key does nothing.
    func bookmarkListAction(for key: Key) -> Action? {
        guard case .bookmarks = state.overlay else { return nil }
        switch key {
        case .up, .char("k"): return .move(dx: 0, dy: -1)
        case .down, .char("j"): return .move(dx: 0, dy: 1)
        case .enter: return .activate
        case .char("'"): return .listMarks
        case .escape: return .back
        case .char("q"): return .backOrQuit
        default: return Action.none
        }
    }

    /// Handles the bookmark and search actions (and the keys of the bookmark list); nil for the rest.
    func applyMarks(_ action: Action) -> Reaction? {
        if case .bookmarks(let sel) = state.overlay {
            let n = bookmarks?.bookmarks.count ?? 0
            switch action {
            case .move(_, let dy):
                state.overlay = .bookmarks(max(0, min(n - 1, sel + dy)))
                return .redraw
            case .activate:
                state.overlay = .none
                if let b = bookmarks?.bookmarks[safe: sel] { jump(to: b) }
                return .redraw
            default: break
            }
        }
        switch action {
        case .mark:
            guard bookmarks != nil else { state.message = "Bookmarks need a trace file"; return .redraw }
            state.overlay = .prompt(.bookmark, "")
        case .listMarks:
            if case .bookmarks = state.overlay { state.overlay = .none } else {
                state.overlay = .bookmarks(0)
                if bookmarks?.bookmarks.isEmpty ?? true { state.message = "No bookmarks yet: m marks the current step, layer and head" }
            }
        case .startSearch:
            state.overlay = .prompt(.search, state.search.query)
        case .searchNext, .searchPrevious:
            guard !state.search.query.isEmpty else { state.message = "No search yet: / in Tokens searches the text"; return .redraw }
            findMatch(forward: action == .searchNext, skipCurrent: true)
        case .promptSubmit:
            guard case .prompt(let kind, let text) = state.overlay, kind == .bookmark || kind == .search else { return nil }
            state.overlay = .none
            if kind == .bookmark { addBookmark(text) } else {
                state.search = TokenSearch(query: text)
                if !text.isEmpty { findMatch(forward: true, skipCurrent: false) }
            }
        default: return nil
        }
        return .redraw
    }

    func jump(to b: Bookmark) {
        setStep(b.step); setLayer(b.layer); setHead(b.head)
        state.message = "\(b.name): \(b.place)" + (b.note.isEmpty ? "" : " · \(b.note)")
    }

    /// "NAME note…" marks the cursor; the first word names it (empty: the next free name m1, m2 …).
    func addBookmark(_ text: String) {
        guard var file = bookmarks else { return }
        let words = text.split(separator: " ", maxSplits: 1).map(String.init)
        let name = words.first ?? file.freshName()
        let b = Bookmark(name: name, step: state.step, layer: state.layer, head: state.head, note: words.count > 1 ? words[1] : "")
        file.set(b)
        bookmarks = file
        do {
            try file.save()
            state.message = "Marked \(b.name) at \(b.place) (\(file.path.split(separator: "/").last ?? ""))"
        } catch {
            state.message = "Marked \(b.name) in memory only, until the viewer quits: \(error)"
        }
    }

    /// Moves to the next (or previous) match of the search, from the current match or, without one,
    /// from the cursor's step; wraps around the text.
    func findMatch(forward: Bool, skipCurrent: Bool) {
        let text = TokenText.of(trace)
        let hits = text.matches(of: state.search.query)
        guard !hits.isEmpty else {
            state.search.hit = nil
            state.message = "Not found: \"\(state.search.query)\""
            return
        }
        // from the current match (n / N), or for a new search from the cursor's query token
        let anchor: Int, strict: Bool
        if skipCurrent, let h = state.search.hit { anchor = h.lowerBound; strict = true } else {
            anchor = text.queryPosition(step: state.step); strict = false
        }
        let ahead = forward ? hits.firstIndex { strict ? $0.lowerBound > anchor : $0.lowerBound >= anchor }
                            : hits.lastIndex { strict ? $0.lowerBound < anchor : $0.lowerBound <= anchor }
        var i = ahead ?? (forward ? 0 : hits.count - 1)
        i = max(0, min(hits.count - 1, i))
        let hit = hits[i]
        state.search.hit = hit
        setStep(text.step(showing: hit.upperBound - 1))
        state.message = "\"\(state.search.query)\": match \(i + 1) of \(hits.count) at token \(hit.lowerBound)"
            + (ahead == nil ? (forward ? " (wrapped to the start)" : " (wrapped to the end)") : "")
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}
