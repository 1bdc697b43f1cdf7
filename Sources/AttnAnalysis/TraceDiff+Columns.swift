import AttnTrace

// MARK: - The column path: trace files compared as columns

extension TraceDiff {
    /// `run` for two trace files: each step is decoded straight into reusable columns
    /// (`TraceReader.columns`) and compared column by column (DiffAccumulator+Columns.swift).
    /// B is read ahead in batches on a second thread (`ColumnPrefetch`) while A is read and
    /// compared on this one. Same steps, same checks, same errors and the same report as the
    /// frame path (tested against it).
    static func runColumns<A: ColumnSource, B: ColumnSource>(
        _ a: A, _ b: B, plan: Plan, labels: (String, String), options: DiffOptions, sameObject: Bool
    ) throws(DiffError) -> TraceDiffReport {
        var acc = DiffAccumulator(shape: plan.shape, options: options)
        let prefetch = options.parallelRead && !sameObject && plan.steps > 1
            ? ColumnPrefetch(b, steps: plan.steps) : nil
        prefetch?.start()
        defer { prefetch?.stop() }   // also on an early throw: B is not left in use by the thread
        var ca = StepColumns(), cb = StepColumns()
        for i in 0..<plan.steps {
            do { try a.columns(i, into: &ca) } catch { throw .read("\(labels.0) step \(i): \(error)") }
            if let prefetch {
                let next: (batch: ColumnPrefetch<B>.Batch, index: Int)
                do { next = try prefetch.take() } catch { throw .read("\(labels.1) step \(i): \(error)") }
                try add(ca, next.batch.frames[next.index], step: i, to: &acc, labels: labels)
            } else {
                do { try b.columns(i, into: &cb) } catch { throw .read("\(labels.1) step \(i): \(error)") }
                try add(ca, cb, step: i, to: &acc, labels: labels)
            }
        }
        return report(acc, a, b, plan: plan, labels: labels)
    }

    private static func add(_ ca: StepColumns, _ cb: StepColumns, step i: Int, to acc: inout DiffAccumulator,
                            labels: (String, String)) throws(DiffError) {
        // A recovered file may skip a damaged chunk mid-file: then file order is not step order.
        for (label, index) in [(labels.0, ca.step.index), (labels.1, cb.step.index)] where index != i {
            throw .malformed("\(label): the \(i)th step read is step \(index) (a damaged chunk was "
                + "skipped?); runs can only be aligned on consecutive steps")
        }
        try acc.add(ca, cb, step: i, labels: labels)
    }
}
