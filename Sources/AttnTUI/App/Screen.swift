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
public enum OverviewMetric: Int, CaseIterable, Sendable {
    case sinkMass4, sinkMass1, sparsity, entropy, recall, outputError, kvBytes, jaccard

    public var title: String {
        switch self {
        case .sinkMass4: return "sink mass (first 4)"
        case .sinkMass1: return "sink mass (first 1)"
        case .sparsity: return "sparsity"
        case .entropy: return "entropy (normalised)"
        case .recall: return "recall vs dense"
        case .outputError: return "output error vs dense"
        case .kvBytes: return "KV bytes (head's KV group)"
        case .jaccard: return "selection Jaccard vs previous step"
        }
    }
}

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
