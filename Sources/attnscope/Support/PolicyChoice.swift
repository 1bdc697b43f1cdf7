import AttnRuntime

/// The policy of a run from `--policy SPEC` (a spec or a layer map) or `--policy-file F` (a layer
/// map for one model shape), with the flag to name in messages.
struct PolicyChoice {
    let policy: AttentionPolicy
    /// "--policy SPEC" or "--policy-file F".
    let flag: String

    /// `spec` is the --policy value ("dense" when not given), `file` the --policy-file value.
    init(spec: String, file: String?) throws {
        if let file {
            guard spec == "dense" else { throw CLIError("--policy-file \(file)", "give either --policy or --policy-file, not both") }
            flag = "--policy-file \(file)"
            do { policy = try PolicyRegistry.make(policyFile: file) } catch { throw CLIError(flag, error) }
        } else {
            flag = "--policy \(spec)"
            do { policy = try PolicyRegistry.make(spec) } catch { throw CLIError(flag, error) }
        }
    }
}
