extension StepFrame {
    /// A frame with nothing in it: a buffer for `TraceReader.frame(_:into:)`.
    public static let empty = StepFrame(
        step: StepInfo(index: 0, phase: .prefill, position: 0, queryCount: 0, emittedToken: nil, wallNanos: 0, layerTimes: []),
        metrics: [], kv: [])

    /// This frame as a reader will hand it back: every Float passed through its stored form
    /// (unit16, half or log8; see Quantize.swift). Lets tests and diffs compare written and read
    /// frames exactly. NaN stays NaN (compare with `storedEquals`).
    public func asStored(rowEncoding: RowEncoding = .log8) -> StepFrame {
        var f = self
        for i in f.metrics.indices {
            var m = f.metrics[i]
            m.sinkMass1 = Quantize.roundUnit(m.sinkMass1)
            m.sinkMass4 = Quantize.roundUnit(m.sinkMass4)
            m.entropy = Quantize.roundUnit(m.entropy)
            m.recall = Quantize.roundUnit(m.recall)
            m.oracleRecall = Quantize.roundUnit(m.oracleRecall)
            m.overlapKept = Quantize.roundUnit(m.overlapKept)
            m.jaccard = Quantize.roundUnit(m.jaccard)
            m.outputError = m.outputError.isNaN ? .nan : Quantize.roundHalf(m.outputError)
            m.topSinks = m.topSinks.map { SinkScore(position: $0.position, score: Quantize.roundLog($0.score)) }
                .sorted(by: Codec.sinkOrder)   // stored by position; read back highest score first
            f.metrics[i] = m
        }
        for i in f.rows.indices {
            f.rows[i].values = f.rows[i].values.map {
                rowEncoding == .log8 ? Quantize.roundLog($0) : Quantize.roundHalf($0)
            }
        }
        return f
    }

    /// Equality that treats NaN as equal to NaN (for comparing stored frames).
    public func storedEquals(_ o: StepFrame) -> Bool {
        guard step == o.step, kv == o.kv, selections == o.selections, annotations == o.annotations,
              metrics.count == o.metrics.count, rows.count == o.rows.count else { return false }
        for (a, b) in zip(metrics, o.metrics) {
            guard a.layer == b.layer, a.head == b.head, a.visibleKV == b.visibleKV, a.selected == b.selected,
                  same(a.sinkMass1, b.sinkMass1), same(a.sinkMass4, b.sinkMass4), same(a.entropy, b.entropy),
                  same(a.recall, b.recall), same(a.oracleRecall, b.oracleRecall), same(a.outputError, b.outputError),
                  same(a.overlapKept, b.overlapKept), same(a.jaccard, b.jaccard),
                  a.topSinks.count == b.topSinks.count else { return false }
            for (s, t) in zip(a.topSinks, b.topSinks) where s.position != t.position || !same(s.score, t.score) {
                return false
            }
        }
        for (a, b) in zip(rows, o.rows) {
            guard a.layer == b.layer, a.head == b.head, a.kind == b.kind, a.rows == b.rows, a.cols == b.cols,
                  a.tile == b.tile, a.values.count == b.values.count else { return false }
            for (x, y) in zip(a.values, b.values) where !same(x, y) { return false }
        }
        return true
    }
}

private func same(_ a: Float, _ b: Float) -> Bool { a == b || (a.isNaN && b.isNaN) }
