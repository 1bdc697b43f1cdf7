// Readings of this process and its files for the benchmarks and progress reports: clocks, CPU
// time, memory, load.

import Foundation

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

/// Peak resident set size of this process in bytes (getrusage; Linux reports KiB).
func peakRSSBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

/// Seconds since an arbitrary start (monotonic).
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// User + system CPU seconds this process has used (all threads).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func secs(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// The 1-minute load average (how busy the machine was while measuring).
func loadAverage() -> Double {
    var loads = [Double](repeating: 0, count: 3)
    return getloadavg(&loads, 3) > 0 ? loads[0] : .nan
}
