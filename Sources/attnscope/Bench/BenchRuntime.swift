// `attnscope bench runtime` (also plain `attnscope bench`): prefill and decode speed of the runtime, and peak memory.
// A benchmark, not a test: numbers depend on the machine and on what else runs on it.

import ArgumentParser
import AttnRuntime
import Foundation

struct BenchRuntime: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Measure prefill and decode tokens/s at 1 and 2 threads and several context lengths.",
        discussion: """
            For each thread count: prefill a --prefill-token prompt (timed), then grow one KV cache \
            through each --contexts length (prefilling the gap untimed) and time --decode-tokens \
            greedy decode steps there. Token ids are a fixed pseudo-random sequence (no tokenizer \
            involved). Ends with peak RSS (getrusage ru_maxrss).
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("thread-counts"), help: "Comma-separated thread counts to measure.",
            transform: PositiveInts.init(parsing:))
    var threadCounts = PositiveInts([1, 2])

    @Option(name: .customLong("prefill"), help: "Prompt length for the prefill measurement.")
    var prefillTokens: Int = 512

    @Option(help: "Comma-separated context lengths for the decode measurements.", transform: PositiveInts.init(parsing:))
    var contexts = PositiveInts([128, 2048, 4096])

    @Option(name: .customLong("decode-tokens"), help: "Decode steps timed at each context length.")
    var decodeTokens: Int = 32

    @Flag(help: "Instead: time the single-thread matvec kernels on the model's FFN matrices (thread CPU time, so other load does not count).")
    var kernels = false

    @Flag(name: .customLong("quant-kernels"), help: .hidden)   // the name `bench quant-kernels` had as a flag
    var quantKernels = false

    func validate() throws {
        try Check.atLeast(prefillTokens, 1, "--prefill")
        try Check.atLeast(decodeTokens, 1, "--decode-tokens")
    }

    func run() throws {
        if kernels { return try runKernels() }
        if quantKernels { return try BenchQuantKernels().run() }
        let threadList = threadCounts.values
        let contextList = contexts.values.sorted()
        let needed = max(prefillTokens, (contextList.last ?? 0) + decodeTokens)
        let tokens = benchTokens(count: needed)

        say("attnscope bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(String(format: "%.2f", loadAverage()))")
        say("cpu = CPU time used / (wall time × threads): below 1 means the threads waited for a core")
        say("tok/cpu-s = tokens per CPU-second of the process (spin-waiting included); × threads it estimates")
        say("            the rate with every thread on its own idle core")
        say("attn, lm head = shares of the decode steps' wall time in attention (all layers) and in the LM head")
        say("threads  measurement              tokens/s    cpu  tok/cpu-s   attn  lm head")
        for threads in threadList {
            var options = modelOptions
            options.threads = threads
            let (model, _) = try options.load(contextLength: needed)
            guard needed <= model.contextLength else {
                throw CLIError("--contexts", "\(needed) positions exceed the model's context \(model.contextLength)")
            }
            // warm-up: touches the weights' pages once
            _ = model.forward(tokens: Array(tokens[0..<8]))
            model.reset()

            var clock = Stopwatch(threads: threads)
            _ = model.forward(tokens: Array(tokens[0..<prefillTokens]))
            row(threads, "prefill \(prefillTokens)", clock.lap(tokens: prefillTokens))
            model.reset()

            for context in contextList {
                var filled = model.cache.nextPosition
                while filled < context {   // grow the cache in chunks of ≤ 512 tokens, untimed
                    let chunk = min(512, context - filled)
                    _ = model.forward(tokens: Array(tokens[filled ..< filled + chunk]), logits: .none)
                    filled += chunk
                }
                var next = tokens[filled]
                clock = Stopwatch(threads: threads)
                model.resetTimings()
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<decodeTokens {
                    let logits = model.forward(tokens: [next])
                    next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
                }
                let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                row(threads, "decode @\(context)", clock.lap(tokens: decodeTokens),
                    shares: (model.attentionSeconds.reduce(0, +) / wall, model.lmHeadSeconds / wall))
            }
        }
        say(String(format: "peak RSS: %.1f MB", Double(peakRSSBytes()) / 1e6))
    }

    private func row(_ threads: Int, _ what: String, _ m: (rate: Double, cpu: Double),
                     shares: (attention: Double, lmHead: Double)? = nil) {
        let label = what.padding(toLength: 22, withPad: " ", startingAt: 0)
        let perCPUSecond = m.rate / (m.cpu * Double(threads))
        let tail = shares.map { String(format: " %5.1f%% %6.1f%%", 100 * $0.attention, 100 * $0.lmHead) } ?? ""
        say(String(format: "%-8d ", threads) + label + String(format: " %10.1f %6.2f %10.1f", m.rate, m.cpu, perCPUSecond) + tail)
    }

    /// A fixed pseudo-random token sequence over ids 256 ..< 20000 (ordinary vocabulary).
    private func benchTokens(count: Int) -> [Int32] {
        var state: UInt64 = 0x5EED
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int32(256 + Int((state >> 33) % 19744))
        }
    }
}

/// Wall time and process CPU time since creation.
private struct Stopwatch {
    let threads: Int
    let wall0 = now(), cpu0 = processCPUSeconds()

    /// (tokens per wall second, CPU utilisation of the threads).
    func lap(tokens: Int) -> (rate: Double, cpu: Double) {
        let wall = now() - wall0, cpu = processCPUSeconds() - cpu0
        return (Double(tokens) / wall, cpu / (wall * Double(threads)))
    }
}

extension BenchRuntime {
    /// Thread CPU time of each fast matvec kernel on real weights: ns per call and weights per ns.
    func runKernels() throws {
        let (model, _) = try modelOptions.load(contextLength: 16)
        let layer = model.weights.layers[0]
        var rng = Xoshiro256(seed: 1)
        for w in [layer.wGate, layer.wDown, layer.wq, model.weights.output] {
            let x = (0..<w.cols).map { _ in rng.nextUnitFloat() - 0.5 }
            var sums = [Float](repeating: 0, count: w.cols / 32)
            var out = [Float](repeating: 0, count: w.rows)
            let reps = max(20, 200_000_000 / (w.rows * w.cols))
            blockSums(&sums, x, blocks: w.cols / 32)
            let t0 = threadCPUSeconds()
            for _ in 0..<reps {
                matvecRows(&out, w.data, format: w.format, x, xSums: sums, cols: w.cols, rows: 0..<w.rows)
            }
            let per = (threadCPUSeconds() - t0) / Double(reps)
            say(String(format: "%-24@ %@ [%5d x %4d]  %8.1f us/call  %6.2f Gweights/s (thread CPU time)",
                       w.name as NSString, "\(w.format)" as NSString, w.rows, w.cols, per * 1e6,
                       Double(w.rows * w.cols) / per / 1e9))
        }
    }
}
