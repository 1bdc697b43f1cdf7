// Synthetic-trace shapes only the tests use.

import AttnTrace

extension SyntheticTrace.Shape {
    /// A few-KB trace: 2 layers × 2 heads × 1 KV head, 6 prompt tokens, 3 decode steps.
    public static let tiny: SyntheticTrace.Shape = {
        var s = SyntheticTrace.Shape()
        s.layers = 2; s.heads = 2; s.kvHeads = 1; s.headDim = 8
        s.promptTokens = 6; s.decodeSteps = 3; s.sinkTokens = 1; s.window = 3
        s.rowInterval = 2; s.rowHeads = 2; s.maxPrefillSide = 4; s.topSinks = 2
        return s
    }()
}
