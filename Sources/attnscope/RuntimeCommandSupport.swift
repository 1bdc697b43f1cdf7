// Shared pieces of the runtime commands (generate, perplexity, bench): the --model option with
// its default, loading a model with readable errors, and exit status 2 for bad input.

import ArgumentParser
import AttnRuntime
import Foundation

/// `--model NAME|PATH`: a short name (`smollm2`, `gemma3`) or a GGUF file; by default the reference
/// model (SmolLM2-135M-Instruct Q4_1), or $ATTNSCOPE_MODEL when set.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Model: a short name or the path of a GGUF file.",
        discussion: KnownModel.allCases.map { "\($0.rawValue): \($0.origin)." }.joined(separator: " ")
            + " Default: $\(ModelLocator.environmentVariable) if set, else smollm2. scripts/setup.sh installs both.",
        valueName: "name|path"))
    var model: String?

    @Option(name: .long, help: "Threads for the matrix products (default 2).")
    var threads: Int = 2

    /// The model path to open, or exit 2 with the locator's message (which names the install command).
    func resolvedPath() throws -> String {
        if let model {
            do { return try ModelLocator.resolve(model) } catch { throw inputError("--model \(model): \(error)") }
        }
        do { return try ModelLocator.referenceModelPath() } catch { throw inputError("--model not given and \(error)") }
    }

    /// Opens the model with a KV cache of `contextLength` positions (nil: the model's own).
    func load(contextLength: Int? = nil) throws -> (Transformer, GGUFFile) {
        guard threads >= 1 && threads <= 64 else { throw inputError("--threads \(threads): must be in 1...64") }
        let path = try resolvedPath()
        do {
            let gguf = try GGUFFile(path: path)
            return (try Transformer(gguf: gguf, contextLength: contextLength, threads: threads), gguf)
        } catch let error as ExitCode {
            throw error
        } catch {
            throw inputError("--model: \(error)")
        }
    }
}

/// Prints "attnscope: <message>" to stderr and returns exit status 2 to throw.
func inputError(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("attnscope: \(message)\n".utf8))
    return ExitCode(2)
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

/// Writes a line to stdout at once (unbuffered), so progress shows while a long run goes on.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
