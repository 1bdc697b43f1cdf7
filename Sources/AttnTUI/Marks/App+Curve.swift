// Choosing the key position whose α_k curve the Tokens and Heatmap views draw.

extension App {
    /// Handles `.keyBy` / `.chooseKey`; nil for every other action.
    func applyCurve(_ action: Action) -> Reaction? {
        let keys = max(1, (trace.stepInfo(trace.stepCount - 1).map { $0.position + $0.queryCount }) ?? trace.header.promptTokens.count)
        switch action {
        case .keyBy(let d):
            let from = state.keyPosition ?? AlphaCurvePanel.strongestKey(trace, state) ?? 0
            state.keyPosition = max(0, min(keys - 1, from + d))
        case .chooseKey(let k):
            state.keyPosition = state.keyPosition == k ? nil : max(0, min(keys - 1, k))   // a second click: the strongest again
        default: return nil
        }
        return .redraw
    }
}
