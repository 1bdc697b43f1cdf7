import AttnTestSupport
import AttnTrace
import Foundation
import XCTest

/// `attnscope record` on the reference model (SmolLM2-135M), read back with TraceReader.
/// Needs the model (scripts/setup.sh installs it): a failure without it, unless ATTNSCOPE_SKIP_MODEL_TESTS=1.
final class RecordEndToEndTests: XCTestCase {
    static let prompt = "In a quiet village by the sea, an old fisherman told the children stories about the storms "
        + "he had survived, the whales he had seen, and the friends he had lost over the years."

    func mean(_ xs: [Float]) -> Float { xs.reduce(0, +) / Float(max(1, xs.count)) }

    func testDenseAndStreamingTraces() throws {
        try requireModel()
        let densePath = tempPath("dense.atrace"), streamPath = tempPath("streaming.atrace")
        defer { try? FileManager.default.removeItem(atPath: densePath); try? FileManager.default.removeItem(atPath: streamPath) }
        try run(["record", "--ignore-eos", "--prompt", Self.prompt, "-n", "6", "--policy", "dense", "--capture", "rows",
                         "--row-interval", "2", "--out", densePath])
        try run(["record", "--ignore-eos", "--prompt", Self.prompt, "-n", "6", "--policy", "streaming:sink=4,window=16",
                 "--capture", "selections", "--out", streamPath])

        let dense = try TraceReader(path: densePath), stream = try TraceReader(path: streamPath)
        XCTAssertTrue(dense.status.isFinalized)
        XCTAssertEqual(dense.stepCount, 6)
        XCTAssertEqual(dense.header.policy.mode, .dense)
        XCTAssertEqual(stream.header.policy.mode, .evicts)
        XCTAssertEqual(stream.header.policy.parameters, [KeyValue("sink", "4"), KeyValue("window", "16")])
        let promptCount = dense.header.promptTokens.count
        XCTAssertGreaterThan(promptCount, 30)

        for step in 0..<dense.stepCount {
            let m = try dense.metrics(step: step)
            // StreamingLLM's observation on this model: layers 2–29 put much of their mass on the first tokens.
            let deep = m.filter { $0.layer >= 2 }
            XCTAssertGreaterThan(mean(deep.map(\.sinkMass4)), 0.3, "dense step \(step)")
            XCTAssertGreaterThan(mean(deep.map(\.sinkMass1)), 0.25, "dense step \(step)")
            // Dense attends to everything: recall 1, output equal to the shadow.
            for h in m {
                XCTAssertEqual(h.visibleKV, promptCount + step)
                XCTAssertEqual(h.recall, 1, accuracy: 1e-3)
                XCTAssertLessThan(h.outputError, 1e-3)
                XCTAssertTrue((0...1).contains(h.entropy))
                XCTAssertFalse(h.topSinks.isEmpty)
            }
            let kv = try dense.kv(step: step)
            XCTAssertTrue(kv.allSatisfy { $0.entries == promptCount + step && $0.evicted.isEmpty })
        }
        // Rows: the pooled prefill matrix at step 0, decode rows every 2 steps.
        XCTAssertEqual(try dense.rows(step: 0, layer: 3, head: 1)?.kind, .prefillMatrix)
        XCTAssertEqual(try dense.rows(step: 2, layer: 3, head: 1)?.cols, promptCount + 2)
        XCTAssertNil(try dense.rows(step: 1, layer: 3, head: 1))

        XCTAssertEqual(stream.stepCount, 6)
        for step in 0..<stream.stepCount {
            let kv = try stream.kv(step: step)
            // After prefill the cache holds sink + window entries per KV head; KV bytes drop.
            XCTAssertTrue(kv.allSatisfy { $0.entries == 20 && $0.bytes == 20 * 2 * 64 * 4 }, "step \(step)")
            let denseBytes = try dense.kv(step: step).reduce(0) { $0 + $1.bytes }
            XCTAssertLessThan(kv.reduce(0) { $0 + $1.bytes }, denseBytes)
            let evicted = kv[0].evicted
            if step == 0 {
                XCTAssertEqual(evicted, Array(4 ..< promptCount - 16))
            } else {
                XCTAssertEqual(evicted, [promptCount - 16 + step - 1])
            }
            let sel = try XCTUnwrap(stream.selection(step: step, layer: 5, head: 0))
            if step > 0 {
                // The decode query sees the cache before this step's eviction: sinks + window + itself.
                let q = promptCount + step - 1
                XCTAssertEqual(sel.ranges, [0..<4, (q - 16)..<(q + 1)])
                let m = try stream.metrics(step: step)
                XCTAssertTrue(m.allSatisfy { $0.visibleKV == 21 && $0.recall <= 1.0001 })
                XCTAssertLessThan(mean(m.map(\.recall)), 0.999)   // evicted mass is missing
                XCTAssertGreaterThan(mean(m.map(\.outputError)), 0)
            }
        }
    }

    /// h2o and snapkv on the reference model: the cache is cut to the budget at the end of
    /// prefill, h2o keeps it there while decoding, snapkv lets it grow again.
    func testH2OAndSnapKVTraces() throws {
        try requireModel()
        let h2o = tempPath("h2o.atrace"), snap = tempPath("snapkv.atrace")
        defer { try? FileManager.default.removeItem(atPath: h2o); try? FileManager.default.removeItem(atPath: snap) }
        try run(["record", "--ignore-eos", "--prompt", Self.prompt, "-n", "4", "--policy", "h2o:heavy=8,window=8", "--out", h2o])
        try run(["record", "--ignore-eos", "--prompt", Self.prompt, "-n", "4", "--policy", "snapkv:window=8,capacity=16,kernel=5", "--out", snap])
        let a = try TraceReader(path: h2o), b = try TraceReader(path: snap)
        for step in 0..<4 {
            XCTAssertTrue(try a.kv(step: step).allSatisfy { $0.entries == 16 }, "h2o step \(step)")
            XCTAssertTrue(try b.kv(step: step).allSatisfy { $0.entries == 16 + step }, "snapkv step \(step)")
            if step > 0 {
                let m = try a.metrics(step: step)
                XCTAssertTrue(m.allSatisfy { $0.visibleKV == 17 && $0.recall > 0 && $0.recall <= 1.0001 })
                XCTAssertTrue(try a.kv(step: step).allSatisfy { $0.evicted.count == 1 })
                XCTAssertTrue(try b.kv(step: step).allSatisfy { $0.evicted.isEmpty })
            }
        }
        // The last window entries always survive both.
        let last = a.header.promptTokens.count - 1
        XCTAssertTrue(try b.kv(step: 0).allSatisfy { !$0.evicted.contains(last) })
        XCTAssertTrue(try a.kv(step: 0).allSatisfy { !$0.evicted.contains(last) })
    }

    /// calibrate writes budgets that keep ≥ τ on the calibration text; record with them evicts.
    func testCalibrateThenRecordTCA() throws {
        try requireModel()
        let budgets = tempPath("budgets.json"), trace = tempPath("tca.atrace")
        defer { try? FileManager.default.removeItem(atPath: budgets); try? FileManager.default.removeItem(atPath: trace) }
        let text = Array(repeating: Self.prompt, count: 4).joined(separator: " ")
        try run(["calibrate", "--policy", "tca", "--text", text, "--tau", "0.8", "--block", "16", "--window", "16",
                 "--observe", "8", "--out", budgets])
        struct File: Decodable { var tau: Float; var keptMass: [[Float]]; var layers: Int }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: budgets)))
        XCTAssertEqual(file.layers, 30)
        for (l, layer) in file.keptMass.enumerated() {
            for (g, m) in layer.enumerated() { XCTAssertGreaterThanOrEqual(m, 0.8, "layer \(l) KV head \(g)") }
        }
        try run(["record", "--ignore-eos", "--prompt", text, "-n", "3", "--policy", "tca:budgets=\(budgets)", "--out", trace])
        let reader = try TraceReader(path: trace)
        XCTAssertEqual(reader.header.policy.name, "tca")
        let prompt = reader.header.promptTokens.count
        let kv = try reader.kv(step: 0)
        XCTAssertTrue(kv.allSatisfy { $0.entries <= prompt && $0.entries >= 16 })
        XCTAssertLessThan(kv.reduce(0) { $0 + $1.entries }, kv.count * prompt)   // something was evicted
        // A budgets file for another shape is refused with a clear message.
        try Data(#"{"model":"x","layers":2,"kvHeads":1,"block":8,"window":4,"tau":0.9,"alpha":0.5,"calibrationTokens":9,"budgets":[[[0,0,0,1]],[[0,0,0,1]]],"keptMass":[[1],[1]]}"#.utf8)
            .write(to: URL(fileURLWithPath: budgets))
        let r = try run(["record", "--ignore-eos", "--prompt", "hi", "--policy", "tca:budgets=\(budgets)", "--out", trace], expectStatus: 2)
        XCTAssertTrue(r.err.contains("is for 2 layers"), r.err)
    }

    /// Ctrl-C (SIGINT) stops after the current step and finishes the file (footer written).
    func testInterruptFinishesTheTrace() throws {
        try requireModel()
        let path = tempPath("interrupt.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = try start(["record", "--ignore-eos", "--prompt", "Once upon a time", "-n", "2000", "--out", path])
        // Wait until a few steps are on disk, then interrupt (an early exit is a failure).
        guard waitForFile(path, atLeast: 60_000, of: p) else { return }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let reader = try TraceReader(path: path)
        XCTAssertTrue(reader.status.isFinalized)
        XCTAssertGreaterThan(reader.stepCount, 1)
        XCTAssertLessThan(reader.stepCount, 2000)
    }

    /// A disk that fills up stops `record` with exit 2, a message naming the file, and a trace
    /// that opens with every step written before the failure. The file-size limit (ulimit -f,
    /// with SIGXFSZ ignored so that the write fails with EFBIG instead of killing the process)
    /// makes the trace's writes fail as a full disk's would.
    func testFullDiskStopsRecordWithExitTwo() throws {
        try requireModel()
        let path = tempPath("full.atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try runProcess(URL(fileURLWithPath: "/bin/bash"),
                               ["-c", "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\"", try AttnscopeBinary.require().path,
                                "record", "--ignore-eos", "--prompt", "Once upon a time", "-n", "400", "--capture", "selections", "--out", path])
        XCTAssertFalse(r.signalled, r.err)
        XCTAssertEqual(r.status, 2, r.err)
        XCTAssertTrue(r.err.contains(path), r.err)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        XCTAssertLessThanOrEqual(size, 64 * 1024)
        let reader = try TraceReader(path: path)
        XCTAssertFalse(reader.status.isFinalized)
        XCTAssertGreaterThan(reader.stepCount, 1)
        XCTAssertLessThan(reader.stepCount, 400)
        for step in 0..<reader.stepCount { XCTAssertEqual(try reader.frame(step).step.index, step) }
    }
}
