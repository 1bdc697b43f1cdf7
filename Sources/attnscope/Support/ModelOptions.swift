// The --model and --threads options of the commands that run the model (record, generate,
// perplexity, calibrate, bench runtime and record), and loading a model with readable errors.

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
    /// Checks --threads too: every command that opens the model asks for its path first.
    func resolvedPath() throws -> String {
        try checkThreads()
        if let model {
            do { return try ModelLocator.resolve(model) } catch { throw CLIError("--model", error) }
        }
        do { return try ModelLocator.referenceModelPath() } catch { throw CLIError("--model", "not given and \(error)") }
    }

    /// Opens the model with a KV cache of `contextLength` positions (nil: the model's own).
    func load(contextLength: Int? = nil) throws -> (Transformer, GGUFFile) {
        let path = try resolvedPath()
        do {
            let gguf = try GGUFFile(path: path)
            return (try Transformer(gguf: gguf, contextLength: contextLength, threads: threads), gguf)
        } catch {
            throw CLIError(path, error)
        }
    }

    func checkThreads() throws {
        guard threads >= 1 && threads <= 64 else { throw CLIError("--threads \(threads)", "must be in 1...64") }
    }
}
