// `attnscope bench probe`: what the recorder's per-head state costs per decode step, without the
// model. For each selection shape a policy produces (dense rows, sinks + a window, Quest's pages,
// H2O's heavy hitters + a window, SnapKV's / TCA's kept set with appended tokens) it feeds
// `HeadTracker`s synthetic rows, one per head and step, on one thread, and times the trackers
// alone (thread CPU time). Between steps it writes over a buffer twice the size of the last-level
// cache, as the model's weights do in a real decode step, so the trackers' state comes back from
// memory as it does in `record`. The rows are skewed like real ones (a sink at position 0, fixed
// per-head favourites, noise), so that the top-α refresh skips what it would skip on real rows.
//
// The figures are far steadier than bench record's overhead column (one thread, no model, no
// writer), so a change to the trackers shows in a few alternating runs of the two builds (their
// level still moves with the machine's load); they are not the recording overhead itself
// (bench record measures that).

import AttnRecorder
import AttnRuntime
import ArgumentParser
import Foundation

struct BenchProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Benchmark the recorder's per-head trackers per decode step, per selection shape (no model).")

    @Option(help: "Context length (positions seen before the timed steps).") var context = 4096
    @Option(help: "Heads (layers × query heads; SmolLM2-135M: 30 × 9).") var heads = 270
    @Option(help: "Decode steps per shape and repeat (the first 8 are not timed).") var steps = 48
    @Option(help: "Repeats of every shape (the table shows the lowest and the highest).") var repeats = 3
    @Option(help: "Top-α refresh every this many steps (the recorder's default).") var refreshInterval = 8
    @Option(help: "MB written between steps to evict the caches (0: none).") var evictMB = 64

    @Option(help: "Comma-separated shapes to run (dense, window, pages, heavy, appended; default: all).",
            transform: NameList<Shape>.init(parsing:))
    var shapes = NameList(Shape.allCases)

    func validate() throws {
        try Check.range(context, 64...(1 << 22) - 1, "--context")
        try Check.range(heads, 1...4096, "--heads")
        // (each head holds ~20 bytes per position: its tracker's arrays and the step's row and keys)
        guard heads * context <= 1 << 26 else {
            throw CLIError("--heads × --context", "must be at most \(1 << 26) (about 20 bytes each), got \(heads * context)")
        }
        try Check.atLeast(refreshInterval, 1, "--refresh-interval")
        guard steps > 8 + refreshInterval else { throw CLIError("--steps \(steps)", "must be > 8 + --refresh-interval") }
        try Check.atLeast(repeats, 1, "--repeats")
        try Check.range(evictMB, 0...4096, "--evict-mb")
    }

    enum Shape: String, CaseIterable, ExpressibleByArgument {
        case dense, window, pages, heavy, appended

        var about: String {
            switch self {
            case .dense: return "every position (dense)"
            case .window: return "4 sinks + window, evicting (streaming)"
            case .pages: return "pages of 16, some change each step (quest)"
            case .heavy: return "heavy hitters + window, evicting (h2o)"
            case .appended: return "kept set + appended tokens (snapkv, tca)"
            }
        }
    }

    func run() throws {
        print("attnscope bench probe: \(heads) heads, context \(context), \(steps - 8) timed steps × \(repeats), "
              + "refresh every \(refreshInterval), \(evictMB) MB evicted between steps; one thread, µs of thread CPU per step")
        let evict = UnsafeMutablePointer<Float>.allocate(capacity: max(1, evictMB << 18))
        evict.initialize(repeating: 1, count: max(1, evictMB << 18))
        defer { evict.deallocate() }
        var checksum: Float = 0
        print(pad("shape", 10) + pad("keys/head", 11) + pad("plain", 14) + pad("refresh", 16) + pad("mean", 14) + "selection")
        for shape in shapes.values {
            var plain: [Double] = [], refresh: [Double] = [], keysPerHead = 0
            for rep in 0..<repeats {
                let r = measure(shape, seed: UInt64(rep + 1), evict: evict, checksum: &checksum)
                plain.append(r.plain); refresh.append(r.refresh); keysPerHead = r.keys
            }
            let mean = zip(plain, refresh).map { (Double(refreshInterval - 1) * $0 + $1) / Double(refreshInterval) }
            print(pad(shape.rawValue, 10) + pad("\(keysPerHead)", 11) + pad(range(plain), 14) + pad(range(refresh), 16)
                  + pad(range(mean), 14) + shape.about)
        }
        if checksum.isNaN { print("(checksum \(checksum))") }   // keeps the eviction writes
    }

    private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

    private func range(_ v: [Double]) -> String {
        let lo = String(format: "%.0f", v.min() ?? 0), hi = String(format: "%.0f", v.max() ?? 0)
        return lo == hi ? lo : lo + "–" + hi
    }

    /// Mean tracker CPU time per plain step and per refresh step (µs, all heads), and keys per head.
    private func measure(_ shape: Shape, seed: UInt64, evict: UnsafeMutablePointer<Float>,
                         checksum: inout Float) -> (plain: Double, refresh: Double, keys: Int) {
        var rng = Xoshiro256(seed: seed)
        let capacity = context + steps + 8
        let budget = max(16, context / 10)
        let trackers = (0..<heads).map { _ in HeadTracker(capacity: capacity) }
        // per head: heavy hitters / kept set (positions), pages (page indices)
        var chosen = (0..<heads).map { _ in
            Array(Set((0..<budget / 2).map { _ in Int32.random(in: 0 ..< Int32(context - budget / 2), using: &rng) })).sorted()
        }
        var pages = (0..<heads).map { _ in
            Array(Set((0..<budget / 16).map { _ in Int.random(in: 1 ..< context / 16 - 1, using: &rng) })).sorted()
        }
        // one step's rows for every head, made before the timed loop
        var keys = [[Int32]](repeating: [], count: heads), probs = [[Float]](repeating: [], count: heads)
        var edits = [Int?](repeating: 0, count: heads)
        var plainSeconds = 0.0, refreshSeconds = 0.0, plainSteps = 0, refreshSteps = 0
        for step in 0..<steps {
            let end = context + step   // positions 0 ..< end are in the cache
            for h in 0..<heads {
                keys[h].removeAll(keepingCapacity: true)
                edits[h] = 0   // (a stream that only grew at the end)
                switch shape {
                case .dense:
                    keys[h].append(contentsOf: 0 ..< Int32(end))
                case .window:
                    keys[h].append(contentsOf: [0, 1, 2, 3]); keys[h].append(contentsOf: Int32(end - budget + 4) ..< Int32(end))
                    edits[h] = step
                case .pages:
                    pages[h][Int.random(in: 0 ..< pages[h].count, using: &rng)] = Int.random(in: 1 ..< end / 16 - 1, using: &rng)
                    for p in Set(pages[h] + [0, (end - 1) / 16]).sorted() {
                        keys[h].append(contentsOf: Int32(p * 16) ..< Int32(min(end, p * 16 + 16)))
                    }
                case .heavy:
                    if step % 3 == 0 {
                        chosen[h].remove(at: Int.random(in: 0 ..< chosen[h].count, using: &rng))
                        let next = Int32(end - budget / 2 - 1)   // the token leaving the window
                        if chosen[h].last != next { chosen[h].append(next) }
                    }
                    keys[h].append(contentsOf: chosen[h]); keys[h].append(contentsOf: Int32(end - budget / 2) ..< Int32(end))
                    edits[h] = step
                case .appended:
                    keys[h].append(contentsOf: chosen[h]); keys[h].append(contentsOf: Int32(context - budget / 2) ..< Int32(end))
                }
                row(for: keys[h], head: h, rng: &rng, into: &probs[h])
            }
            var sink: Float = 0
            for i in stride(from: 0, to: evictMB << 18, by: 16) { sink += evict[i]; evict[i] = 1 }
            checksum += sink * 0
            let refreshTop = step % refreshInterval == 0
            let t0 = threadCPUSeconds()
            for h in 0..<heads {
                probs[h].withUnsafeBufferPointer { p in
                    keys[h].withUnsafeBufferPointer { k in
                        // (entropy given, as the decode kernel gives it to the recorder)
                        _ = trackers[h].lastRow(p, keyPositions: k, entropy: 1, keyEdits: edits[h], compareWithPrevious: step > 0,
                                                refreshTop: refreshTop, topCount: 8)
                    }
                }
            }
            let seconds = threadCPUSeconds() - t0
            guard step >= 8 else { continue }
            if refreshTop { refreshSeconds += seconds; refreshSteps += 1 } else { plainSeconds += seconds; plainSteps += 1 }
        }
        return (plainSeconds * 1e6 / Double(max(1, plainSteps)), refreshSeconds * 1e6 / Double(max(1, refreshSteps)),
                keys[0].count)
    }

    /// A row over `keys` skewed like real attention: a sink at position 0, a fixed per-(head,
    /// position) preference (some positions are favourites: hidden sinks), noise; sums to 1.
    private func row(for keys: [Int32], head: Int, rng: inout Xoshiro256, into p: inout [Float]) {
        p.removeAll(keepingCapacity: true)
        var total: Float = 0
        for k in keys {
            var z = UInt64(truncatingIfNeeded: k) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(head) &* 0xBF58_476D_1CE4_E5B9
            z ^= z >> 31
            let favour = Float(z % 1000) / 250 + (z % 97 == 0 ? 4 : 0)
            let v = expf(favour + Float.random(in: 0 ..< 1.5, using: &rng) + (k == 0 ? 9 : 0))
            p.append(v); total += v
        }
        for i in p.indices { p[i] /= total }
    }
}
