// `attnscope bench view`: how fast the viewer opens and redraws a large trace, without a terminal.
// Writes a ~1 GB sample trace (AttnTrace.SyntheticTrace), then, in a fresh child process so that the
// writer's memory does not count, opens it, renders the first frame at 200×60 and replays a key
// sequence through every view, timing each redraw (input → state → grid → escape bytes).

import AttnAnalysis
import AttnTUI
import AttnTrace
import ArgumentParser
import Foundation

struct BenchView: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Benchmark the viewer: first frame and redraw times on a ~1 GB trace, peak memory.",
        discussion: """
            Writes a synthetic trace to --dir, then measures in a child process (so that only the \
            viewer's memory counts), with a cold and then a warm page cache: the first frame, and \
            the redraw after each key of a sequence through every view.
            """)

    @Option(help: "Decode steps of the generated trace (4500 ≈ 1 GB).") var steps = 4500
    @OptionGroup var scratch: ScratchTraceOptions
    @Option(help: "Measure an existing trace instead of writing one.") var trace: String?

    @Option(help: "Only write a sample trace to this path (SmolLM2 shape, sink+window, rows) and exit.")
    var writeSample: String?

    @Option(help: "Milliseconds of trace reading per frame, as in the viewer (0 = no budget: whole frames).")
    var budget = 10.0

    @Flag(help: "Drop the trace's pages from the page cache first (posix_fadvise DONTNEED), to time a cold open.")
    var cold = false

    @Option(help: "Screen size for the measurement, WxH.", transform: ScreenSize.init(parsing:))
    var size = ScreenSize(width: 200, height: 60)

    @Flag(help: "The long-run case: 32K positions × 8K steps (LongRunSample, ~250 MB) and keys through its heatmap, α_k curve, timeline and tokens.")
    var long = false

    func validate() throws {
        try Check.atLeast(steps, 1, "--steps")
    }

    /// The shape of the generated trace: SmolLM2's heads, rows for 90 distinct heads at every step.
    func sample(steps: Int) -> SyntheticTrace {
        var shape = SyntheticTrace.Shape.smolLM
        shape.promptTokens = 256
        shape.decodeSteps = steps
        shape.window = 512
        shape.evicts = true
        shape.rowInterval = 1
        shape.rowHeads = 90
        shape.maxPrefillSide = 64
        return SyntheticTrace(shape: shape, seed: 1)
    }

    func run() throws {
        if let path = writeSample {
            try sample(steps: steps).write(to: path)
            print("wrote \(path) (\(fileBytes(path)) bytes, \(steps + 1) steps)")
            return
        }
        if let trace { try measure(path: trace); return }

        let output = scratch.path("view")
        let t0 = Date()
        if long { try LongRunSample.write(to: output) } else { try sample(steps: steps).write(to: output) }
        let writeSeconds = Date().timeIntervalSince(t0)
        let bytes = fileBytes(output)
        print("wrote \(output): \(formatMB(bytes)) in \(String(format: "%.1f", writeSeconds)) s")
        fflush(nil)
        defer { scratch.cleanUp(output) }
        // measure in a fresh process: its peak RSS is the viewer's alone
        let executable = URL(fileURLWithPath: CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
                             : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0])
        for coldRun in [true, false] {
            print(coldRun ? "--- cold page cache (trace pages dropped first)" : "--- warm page cache")
            fflush(nil)   // keep our lines before the child's
            let child = Process()
            child.executableURL = executable
            child.arguments = ["bench", "view", "--trace", output, "--size", size.defaultValueDescription, "--budget", "\(budget)"]
                + (coldRun ? ["--cold"] : []) + (long ? ["--long"] : [])
            try child.run()
            child.waitUntilExit()
            // the child has said what went wrong
            if child.terminationStatus != 0 { throw CLIError.verdict(status: child.terminationStatus) }
        }
    }

    func measure(path: String) throws {
        let (w, h) = (size.width, size.height)
        if cold {
            let fd = open(path, O_RDONLY)
            if fd >= 0 { fdatasync(fd); _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED)); close(fd) }
        }
        let rssBefore = ProcessMemory.now()
        let start = Date()
        let source: TraceReaderSource
        do { source = try TraceReaderSource(path: path) } catch {
            throw CLIError(path, error)
        }
        let app = App(trace: source, colorMode: .truecolor)
        let encoder = AnsiEncoder(mode: .truecolor)
        var grid = app.render(width: w, height: h)
        var bytes = encoder.encode(grid, previous: nil)
        let firstFrame = Date().timeIntervalSince(start)
        print("trace: \(path), \(formatMB(source.fileBytes)), \(source.stepCount) steps, \(source.header.model.layers)×\(source.header.model.heads) heads")
        print(String(format: "first frame (open + overview at %dx%d + encode): %.1f ms, %d bytes", w, h, firstFrame * 1000, bytes.count))

        // a key sequence through every view; each is timed from the key to the encoded bytes
        let script = long ? "2G}}{..,,if4sx5.,a/sunny\rnN1vv3G2G"
            : "lljjvv2]]vviillhofs3jjjjjssr/sink\r4llb5a61GgG2v" + "}}}}" + "3" + "GG"
        // With the viewer's frame budget (10 ms of trace reading per frame), a key gets a first
        // frame at once and, when data was still missing, follow-up frames until complete.
        app.frameBudget = budget > 0 ? budget / 1000 : nil
        var times: [(String, Double)] = []       // key → first frame
        var cpu: [Double] = []                   // key → first frame, CPU time of this thread (load-independent)
        var complete: [(String, Double, Int)] = []   // key → all frames until complete, frame count
        for ch in script {
            let key: Key = ch == "\r" ? .enter : .char(ch)
            let name = ch == "\r" ? "Enter" : String(ch)
            let t = Date(), c0 = threadCPUSeconds()
            app.handle(.key(key))
            var frames = 0
            repeat {
                let next = app.render(width: w, height: h)
                bytes = encoder.encode(next, previous: grid)
                grid = next
                frames += 1
                if frames == 1 { times.append((name, Date().timeIntervalSince(t) * 1000)); cpu.append((threadCPUSeconds() - c0) * 1000) }
            } while app.lastFrameIncomplete && frames < 1000
            complete.append((name, Date().timeIntervalSince(t) * 1000, frames))
        }
        let sorted = times.map(\.1).sorted()
        let worst = times.max { $0.1 < $1.1 }!
        print(String(format: "redraw after a key (%d keys, first frame): median %.2f ms, p95 %.2f ms, max %.2f ms (key '%@')",
                     times.count, sorted[sorted.count / 2], sorted[Int(Double(sorted.count - 1) * 0.95)], worst.1, worst.0))
        let cpuSorted = cpu.sorted()
        print(String(format: "  the same in CPU time of the viewer thread: median %.2f ms, p95 %.2f ms, max %.2f ms; load average %@",
                     cpuSorted[cpuSorted.count / 2], cpuSorted[Int(Double(cpuSorted.count - 1) * 0.95)], cpuSorted.last!,
                     (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"))
        let slowest = complete.max { $0.1 < $1.1 }!
        print(String(format: "until every cell is drawn: max %.2f ms over %d frames (key '%@'); keys needing more than one frame: %d",
                     slowest.1, slowest.2, slowest.0, complete.filter { $0.2 > 1 }.count))
        let rssAfter = ProcessMemory.now()
        print("memory: before open \(rssBefore.summary); after \(rssAfter.summary)")
        print(String(format: "peak RSS %.1f MB (anonymous now %.1f MB, file-backed pages of the map %.1f MB)",
                     rssAfter.hwmKB / 1024, rssAfter.anonKB / 1024, rssAfter.fileKB / 1024))
        print("per key (ms): " + times.map { "\($0.0)=\(String(format: "%.1f", $0.1))" }.joined(separator: " "))
    }

    func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func formatMB(_ b: Int) -> String { String(format: "%.1f MB", Double(b) / 1_048_576) }
}
