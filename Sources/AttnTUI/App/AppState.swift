// Everything the views follow: one current step, layer and head, plus each view's options.

import AttnTrace

public enum Overlay: Equatable, Sendable {
    case none
    case help
    case prompt(PromptKind, String)
    /// `'`: the bookmark list, with the selected row.
    case bookmarks(Int)
}

public enum PromptKind: Equatable, Sendable { case command, filter, bookmark, search }

public struct HeatmapState: Equatable, Sendable {
    public var mode: HeatmapMode = .keyByStep
    public var scale: ColorScale = .log   // sinks dominate a linear scale
    /// Key axis and query (prefill) / step axis for each mode.
    public var x: [HeatmapMode: AxisView] = [.prefill: AxisView(), .keyByStep: AxisView(), .mask: AxisView()]
    public var y: [HeatmapMode: AxisView] = [.prefill: AxisView(), .keyByStep: AxisView(), .mask: AxisView()]
}

public struct AppState: Equatable, Sendable {
    public var screen: Screen = .overview
    /// The views drilled in from (Enter on a head opens its heatmap), for `q` / Esc to go back
    /// to. Switching views (number keys, Tab, a tab click) clears it: those views are top level.
    public var history: [Screen] = []
    public var overlay: Overlay = .none
    /// First help entry shown (the help scrolls with j/k when it does not fit).
    public var helpScroll = 0

    // the shared cursor
    public var step = 0
    public var layer = 0
    public var head = 0

    public var metric: Metric = .sinkMass4
    public var heatmap = HeatmapState()
    public var table = HeadTableQuery()
    public var tableScroll = 0
    public var kvStacked = false
    /// Timeline: log scale for the bars (`s`), and the leading prefill steps left out (`x`).
    public var timelineLog = false
    public var timelineExcludePrefill = false
    public var averageHeads = false
    /// Tokens and Heatmap: the key position whose α_k curve is drawn (nil: the strongest key).
    public var keyPosition: Int?
    /// Tokens: the text searched for with `/`, and the match `n` / `N` last went to.
    public var search = TokenSearch()
    /// Compare mode: false = side by side, true = difference (B − A).
    public var showDifference = false
    public var paletteIndex = 0
    public var replay = ReplayClock()
    /// One-line message for the status bar (errors, "too small", results of `:`).
    public var message: String?

    public init() {}
}
