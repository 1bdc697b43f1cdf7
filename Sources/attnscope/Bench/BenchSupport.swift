// What the trace benchmarks (trace, diff, view) share: a directory for the large traces they
// write and remove, and readings of the process's time, memory and files.

import ArgumentParser
import Foundation

/// `--dir` and `--keep`: where a benchmark writes its generated traces, and whether they stay.
struct ScratchTraceOptions: ParsableArguments {
    @Option(help: "Directory for the generated traces (not the repository).")
    var dir = "/tmp"

    @Flag(help: "Keep the generated traces.")
    var keep = false

    /// "<dir>/attnscope-bench-<pid>-<name>.atrace": a path no other run uses.
    func path(_ name: String) -> String {
        (dir as NSString).appendingPathComponent("attnscope-bench-\(getpid())-\(name).atrace")
    }

    /// Removes `paths` unless --keep.
    func cleanUp(_ paths: String...) {
        guard !keep else { return }
        for p in paths { try? FileManager.default.removeItem(atPath: p) }
    }
}

/// This process's memory as /proc/self/status reports it (Linux; zeros elsewhere), in KB.
struct ProcessMemory {
    var rssKB = 0.0, hwmKB = 0.0, anonKB = 0.0, fileKB = 0.0

    static func now() -> ProcessMemory {
        var m = ProcessMemory()
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return m }
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let v = Double(parts[1]) else { continue }
            switch parts[0] {
            case "VmRSS:": m.rssKB = v
            case "VmHWM:": m.hwmKB = v
            case "RssAnon:": m.anonKB = v
            case "RssFile:": m.fileKB = v
            default: break
            }
        }
        return m
    }

    var residentMB: Double { rssKB / 1024 }

    var summary: String {
        String(format: "RSS %.1f MB (anon %.1f, file %.1f), peak %.1f MB", rssKB / 1024, anonKB / 1024, fileKB / 1024, hwmKB / 1024)
    }
}

/// The size of a file in bytes (0 when it cannot be read).
func fileBytes(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// CPU seconds used by the calling thread: unlike wall time, not inflated when other jobs share
/// the cores.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
