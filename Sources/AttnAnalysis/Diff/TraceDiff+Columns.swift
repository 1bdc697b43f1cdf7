import AttnTrace

// MARK: - The column path: trace files compared as columns

extension TraceDiff {
    /// `run` for two trace files: each step is decoded straight into reusable columns
    /// (`TraceReader.columns`) and compared column by column (DiffAccumulator+Columns.swift).
    /// A and B are each read ahead in batches on a thread of their own (`ColumnPrefetch`) while
    /// this thread compares. Same steps, same checks, same errors and the same report as the
    /// frame path (tested against it).
    static func runColumns<A: ColumnSource, B: ColumnSource>(
        _ a: A, _ b: B, plan: Plan, labels: (String, String), options: DiffOptions, sameObject: Bool
    ) throws(DiffError) -> TraceDiffReport {
        var acc = DiffAccumulator(shape: plan.shape, options: options)
        if options.parallelRead && !sameObject && plan.steps > 1 {
            // Both runs read ahead, each on a thread of its own; this thread only compares.
            let pa = ColumnPrefetch(a, steps: plan.steps), pb = ColumnPrefetch(b, steps: plan.steps)
            pa.start(); pb.start()
            defer { pa.stop(); pb.stop() }   // also on an early throw: no thread is left reading
            var ca = StepColumns(), cb = StepColumns()
            for i in 0..<plan.steps {
                let x: (batch: ColumnPrefetch<A>.Batch, index: Int), y: (batch: ColumnPrefetch<B>.Batch, index: Int)
                do { x = try pa.take() } catch { throw .read("\(labels.0) step \(i): \(error)") }
                do { y = try pb.take() } catch { throw .read("\(labels.1) step \(i): \(error)") }
                // Moved out of the batches and back (`batch.frames[k]` as an argument copies, retaining
                // every column buffer, and the reader then finds them shared).
                swap(&ca, &x.batch.frames[x.index])
                swap(&cb, &y.batch.frames[y.index])
                defer { swap(&ca, &x.batch.frames[x.index]); swap(&cb, &y.batch.frames[y.index]) }
                try add(ca, cb, step: i, to: &acc, labels: labels)
            }
        } else {
            var ca = StepColumns(), cb = StepColumns()
            for i in 0..<plan.steps {
                do { try a.columns(i, into: &ca) } catch { throw .read("\(labels.0) step \(i): \(error)") }
                do { try b.columns(i, into: &cb) } catch { throw .read("\(labels.1) step \(i): \(error)") }
                try add(ca, cb, step: i, to: &acc, labels: labels)
            }
        }
        return report(acc, a, b, plan: plan, labels: labels)
    }

    private static func add(_ ca: StepColumns, _ cb: StepColumns, step i: Int, to acc: inout DiffAccumulator,
                            labels: (String, String)) throws(DiffError) {
        // A recovered file may skip a damaged chunk mid-file: then file order is not step order.
        if ca.step.index != i || cb.step.index != i {   // (no array of the two per step: that allocates)
            let (label, index) = ca.step.index != i ? (labels.0, ca.step.index) : (labels.1, cb.step.index)
            throw .malformed("\(label): the \(i)th step read is step \(index) (a damaged chunk was "
                + "skipped?); runs can only be aligned on consecutive steps")
        }
        try acc.add(ca, cb, step: i, labels: labels)
    }
}
