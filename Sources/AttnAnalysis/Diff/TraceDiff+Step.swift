import AttnTrace

// MARK: - One step of two runs

extension TraceDiff {
    /// Compares one pair of frames with the same comparisons and tolerances as `run` (the viewer's
    /// compare view diffs the step on screen). The runs must have the same grid; the report's
    /// `stepsCompared` is 1 and its steps are named by `fa.step.index`.
    public static func step(_ fa: StepFrame, _ fb: StepFrame, headers: (RunHeader, RunHeader),
                            labels: (String, String) = ("A", "B"), options: DiffOptions = DiffOptions())
        throws(DiffError) -> TraceDiffReport {
        let ma = headers.0.model, mb = headers.1.model
        guard ma.layers == mb.layers, ma.heads == mb.heads, ma.kvHeads == mb.kvHeads,
              ma.layers > 0, ma.heads > 0, ma.kvHeads > 0 else {
            throw .notAligned(["other grid: \(labels.0) has \(ma.layers) layers × \(ma.heads) heads "
                + "(\(ma.kvHeads) KV heads), \(labels.1) \(mb.layers) × \(mb.heads) (\(mb.kvHeads))"])
        }
        var acc = DiffAccumulator(shape: Shape(layers: ma.layers, heads: ma.heads, kvHeads: ma.kvHeads),
                                  options: options)
        try acc.add(fa, fb, step: fa.step.index, labels: labels)
        return acc.report(baseline: RunSummary(label: labels.0, header: headers.0, steps: 1, truncation: nil),
                          new: RunSummary(label: labels.1, header: headers.1, steps: 1, truncation: nil),
                          steps: 1, notes: [])
    }
}
