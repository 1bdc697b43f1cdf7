import AttnTrace

// MARK: - Chrome trace-event JSON (opens in ui.perfetto.dev and chrome://tracing)

/// Writes `{"traceEvents":[…],"displayTimeUnit":"ms","otherData":{…}}`, one event per line:
/// - `M` metadata: process name (model and policy), thread names;
/// - `X` spans on thread 1 "steps" (one per step), thread 2 "layers" (one per layer and step,
///   laid end to end inside the step) and thread 3 "attention" (the attention part of each layer);
/// - `C` counters: "KV bytes" (one series per layer), "KV bytes total", "sparsity" and "recall"
///   (means over the heads of the step; recall only when known);
/// - `i` instants for step annotations.
/// Timestamps are microseconds from the start of the run, accumulated from each step's wall time.
/// A step with no wall time (not measured) gets a nominal 1 ms so the timeline stays readable
/// (`otherData.timing` then says "nominal"). When the layer times of a step add up to more than its
/// wall time they are scaled down to fit, so spans on one thread never overlap.
public enum ChromeTraceExport {
    static let nominalStepMicros = 1000.0
    /// The per-head metrics drawn as counters (means over the heads of a step, finite values only).
    static let counterMetrics: [Metric] = [.sparsity, .recall]

    public static func write<S: TraceSource>(_ source: S, to out: TextOutput) throws {
        let h = source.header
        let pid = 1
        var nominalSteps = 0
        try out.write("{\"traceEvents\":[\n")
        var first = true
        func event(_ s: String) throws {
            try out.write((first ? "" : ",\n") + s)
            first = false
        }
        func meta(_ tid: Int, _ name: String, _ value: String) throws {
            try event("{\"ph\":\"M\",\"pid\":\(pid),\"tid\":\(tid),\"name\":\"\(name)\",\"args\":{\"name\":"
                + jsonString(value) + "}}")
        }
        try meta(0, "process_name", "attnscope: \(h.model.name) / \(h.policy.name)")
        try meta(1, "thread_name", "steps")
        try meta(2, "thread_name", "layers")
        try meta(3, "thread_name", "attention")

        var ts = 0.0   // µs
        for i in 0..<source.stepCount {
            let f = try source.frame(i)
            if f.step.wallNanos == 0 { nominalSteps += 1 }
            try stepEvents(f, pid: pid, model: h.model, at: ts, event)
            ts += f.step.wallNanos > 0 ? Double(f.step.wallNanos) / 1000 : nominalStepMicros
        }

        // Metadata last: only now is it known whether every step had a wall time.
        var other: [String] = [
            "\"producer\":" + jsonString(h.producer),
            "\"model\":" + jsonString(h.model.name),
            "\"architecture\":" + jsonString(h.model.architecture),
            "\"layers\":\(h.model.layers)", "\"heads\":\(h.model.heads)", "\"kv_heads\":\(h.model.kvHeads)",
            "\"policy\":" + jsonString(RunSummary(label: "", header: h, steps: 0, truncation: nil).policy),
            "\"capture\":" + jsonString("\(h.capture)"),
            "\"prompt\":" + jsonString(h.prompt),
            "\"prompt_tokens\":\(h.promptTokens.count)",
            "\"steps\":\(source.stepCount)",
            "\"timing\":" + jsonString(nominalSteps == 0 ? "measured" : "nominal"),
            "\"nominal_steps\":\(nominalSteps)",
        ]
        if let t = source.truncation { other.append("\"truncated\":" + jsonString(t)) }
        for kv in h.extra { other.append(jsonString("extra." + kv.key) + ":" + jsonString(kv.value)) }
        try out.write("\n],\"displayTimeUnit\":\"ms\",\"otherData\":{" + other.joined(separator: ",") + "}}\n")
    }

    /// The events of one step, starting at `ts` µs.
    private static func stepEvents(_ f: StepFrame, pid: Int, model: ModelInfo, at ts: Double,
                              _ event: (String) throws -> Void) throws {
        let s = f.step
        let dur = s.wallNanos > 0 ? Double(s.wallNanos) / 1000 : nominalStepMicros
        let name = s.phase == .prefill ? "prefill" : "decode \(s.index)"
        var args = "\"step\":\(s.index),\"position\":\(s.position),\"queries\":\(s.queryCount)"
        if let t = s.emittedToken { args += ",\"token_id\":\(t.id),\"token\":" + jsonString(t.text) }
        try event(span(pid, 1, ts, dur, name, "step", args))

        // Layers, end to end inside the step.
        let total = s.layerTimes.reduce(0.0) { $0 + Double($1.attentionNanos + $1.restNanos) } / 1000
        let scale = total > dur ? dur / total : 1
        var at = ts
        for (l, lt) in s.layerTimes.enumerated() {
            let attn = Double(lt.attentionNanos) / 1000 * scale, rest = Double(lt.restNanos) / 1000 * scale
            try event(span(pid, 2, at, attn + rest, "layer \(l)", "layer",
                           "\"step\":\(s.index),\"attention_us\":\(attn),\"rest_us\":\(rest)"))
            if attn > 0 { try event(span(pid, 3, at, attn, "attention L\(l)", "attention", "\"step\":\(s.index)")) }
            at += attn + rest
        }

        // Counters at the start of the step.
        if !f.kv.isEmpty {
            var perLayer = [Int](repeating: 0, count: max(0, model.layers))
            for r in f.kv where r.layer >= 0 && r.layer < perLayer.count { perLayer[r.layer] += r.bytes }
            let series = perLayer.enumerated().map { "\"L\($0.offset)\":\($0.element)" }.joined(separator: ",")
            try event(counter(pid, ts, "KV bytes", series))
            try event(counter(pid, ts, "KV bytes total", "\"bytes\":\(perLayer.reduce(0, +))"))
        }
        for metric in counterMetrics {
            var mean = MeanAccumulator()
            for m in f.metrics { mean.add(m.value(metric, context: s.context)) }
            if mean.count > 0 { try event(counter(pid, ts, metric.name, "\"mean\":\(mean.mean)")) }
        }
        for note in f.annotations {
            try event("{\"ph\":\"i\",\"s\":\"p\",\"pid\":\(pid),\"tid\":1,\"ts\":\(ts),\"name\":"
                + jsonString(note) + "}")
        }
    }

    private static func span(_ pid: Int, _ tid: Int, _ ts: Double, _ dur: Double, _ name: String,
                             _ cat: String, _ args: String) -> String {
        "{\"ph\":\"X\",\"pid\":\(pid),\"tid\":\(tid),\"ts\":\(ts),\"dur\":\(dur),\"name\":" + jsonString(name)
            + ",\"cat\":\"\(cat)\",\"args\":{\(args)}}"
    }

    private static func counter(_ pid: Int, _ ts: Double, _ name: String, _ args: String) -> String {
        "{\"ph\":\"C\",\"pid\":\(pid),\"tid\":0,\"ts\":\(ts),\"name\":" + jsonString(name) + ",\"args\":{\(args)}}"
    }
}
