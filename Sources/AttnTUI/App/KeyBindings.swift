// The key table: one line per binding (htop's Action_setBindings). The help overlay is generated
// from it, so it always lists every key.

public struct KeyBinding: Sendable {
    public var keys: [Key]
    public var action: Action
    /// nil = everywhere; otherwise only in these views.
    public var screens: [Screen]?
    public var help: String
}

public enum KeyBindings {
    private static func b(_ keys: [Key], _ action: Action, _ help: String, in screens: [Screen]? = nil) -> KeyBinding {
        KeyBinding(keys: keys, action: action, screens: screens, help: help)
    }
    private static func c(_ s: String) -> [Key] { s.map { Key.char($0) } }

    public static let table: [KeyBinding] = [
        // global
        b(c("1"), .show(.overview), "Overview: layer × head grid"),
        b(c("2"), .show(.heatmap), "Heatmap of the current head"),
        b(c("3"), .show(.heads), "Head table"),
        b(c("4"), .show(.timeline), "Timeline"),
        b(c("5"), .show(.tokens), "Tokens coloured by attention"),
        b(c("6"), .show(.runInfo), "Run info"),
        b(c("7"), .show(.compare), "Diff: heads that differ most (compare mode)"),
        b([.tab], .nextScreen, "Next view"),
        b([.backTab], .previousScreen, "Previous view"),
        b(c("?"), .toggleHelp, "This help"),
        b(c("q"), .backOrQuit, "Close overlay / back / quit (top view)"),
        b([.escape], .back, "Close overlay / back out of a drill-in"),
        b(c("Q"), .quit, "Quit at once"),
        b(c(":"), .startCommand, "Jump: N (step), s N, l N, h N, L3H5, L3H5@N"),
        b(c("/"), .startFilter, "Filter the head table"),
        b([.char("]"), .char("n")], .stepBy(1), "Next step"),
        b([.char("["), .char("p")], .stepBy(-1), "Previous step"),
        b(c("}"), .stepBy(10), "10 steps forward"),
        b(c("{"), .stepBy(-10), "10 steps back"),
        b([.home], .firstStep, "First step"),
        b([.end], .lastStep, "Last step"),
        b(c(">"), .headBy(1), "Next head"),
        b(c("<"), .headBy(-1), "Previous head"),
        b(c(")"), .layerBy(1), "Next layer"),
        b(c("("), .layerBy(-1), "Previous layer"),
        b(c(" "), .playPause, "Replay: play / pause"),
        b([.char("+"), .char("=")], .faster, "Replay faster"),
        b(c("-"), .slower, "Replay slower"),
        b(c("c"), .cyclePalette, "Palette: viridis / magma"),
        b(c("d"), .toggleDiff, "Compare: side by side / difference"),
        b(c("m"), .mark, "Bookmark the step, layer and head (NAME note)"),
        b(c("'"), .listMarks, "Bookmarks: list and jump"),
        // movement (meaning per view)
        b([.up, .char("k")], .move(dx: 0, dy: -1), "Up: layer / row / pan / step"),
        b([.down, .char("j")], .move(dx: 0, dy: 1), "Down"),
        b([.left, .char("h")], .move(dx: -1, dy: 0), "Left: head / pan / step"),
        b([.right, .char("l")], .move(dx: 1, dy: 0), "Right"),
        b([.ctrl("d"), .pageDown], .pageDown, "Half page down"),
        b([.ctrl("u"), .pageUp], .pageUp, "Half page up"),
        b(c("g"), .top, "Top (table) / first step"),
        b(c("G"), .bottom, "Bottom (table) / last step"),
        b([.enter], .activate, "Open the selected head's heatmap"),
        // per view
        b(c("v"), .cycleMetric(1), "Next metric", in: [.overview]),
        b(c("V"), .cycleMetric(-1), "Previous metric", in: [.overview]),
        b(c("v"), .cycleHeatmapMode, "Heatmap: prefill / key×step / mask", in: [.heatmap]),
        b(c("i"), .zoomIn, "Zoom in", in: [.heatmap]),
        b(c("o"), .zoomOut, "Zoom out", in: [.heatmap]),
        b(c("f"), .fit, "Fit to screen", in: [.heatmap]),
        b(c("s"), .toggleScale, "Linear / log colour scale", in: [.heatmap]),
        b(c("s"), .sortNext, "Sort by next column", in: [.heads, .compare]),
        b(c("S"), .sortPrevious, "Sort by previous column", in: [.heads, .compare]),
        b(c("r"), .sortReverse, "Reverse sort order", in: [.heads, .compare]),
        b(c("b"), .toggleStackedKV, "KV bytes: total / stacked per layer", in: [.timeline]),
        b(c("s"), .toggleScale, "Timeline: linear / log scale", in: [.timeline]),
        b(c("x"), .toggleExcludePrefill, "Timeline: show / leave out the prefill", in: [.timeline]),
        b(c("a"), .toggleAverageHeads, "Current head / average over heads", in: [.tokens]),
        b(c("/"), .startSearch, "Search the prompt and output text", in: [.tokens]),
        b(c("n"), .searchNext, "Next match of the search", in: [.tokens]),
        b(c("N"), .searchPrevious, "Previous match of the search", in: [.tokens]),
        b(c(","), .keyBy(-1), "α_k curve: previous key position", in: [.tokens, .heatmap]),
        b(c("."), .keyBy(1), "α_k curve: next key position", in: [.tokens, .heatmap]),
    ]

    /// The action for `key` in `screen`: a binding for this view wins over a global one.
    public static func action(for key: Key, in screen: Screen) -> Action? {
        if let local = table.first(where: { $0.keys.contains(key) && ($0.screens?.contains(screen) ?? false) }) {
            return local.action
        }
        return table.first(where: { $0.keys.contains(key) && $0.screens == nil })?.action
    }
}
