// The views a user switches between with the number keys.

public enum Screen: Int, CaseIterable, Sendable {
    case overview = 1, heatmap, heads, timeline, tokens, runInfo, compare

    public var title: String {
        switch self {
        case .overview: return "Overview"
        case .heatmap: return "Heatmap"
        case .heads: return "Heads"
        case .timeline: return "Timeline"
        case .tokens: return "Tokens"
        case .runInfo: return "Run info"
        case .compare: return "Diff"
        }
    }
}

/// The per-head value the overview grid colours by.
public enum HeatmapMode: Int, CaseIterable, Sendable {
    case prefill, keyByStep, mask
    public var title: String {
        switch self {
        case .prefill: return "prefill query × key"
        case .keyByStep: return "key position × decode step"
        case .mask: return "selected / evicted mask × step"
        }
    }
}

public enum ColorScale: Sendable { case linear, log }
