// Parsing `NAME` or `NAME:key=value,...` from the command line into a policy, with validated
// parameters. Every problem is a `PolicyError` whose description names the policy, the key and
// what was wrong, so the command line can print it and exit 2.

/// A bad policy specification.
public struct PolicyError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `name:key=value,...` split into its parts; keys are unique.
public struct PolicySpec: Equatable {
    public let name: String
    public let values: [String: String]

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let (head, tail): (Substring, Substring?) = {
            guard let colon = trimmed.firstIndex(of: ":") else { return (Substring(trimmed), nil) }
            return (trimmed[..<colon], trimmed[trimmed.index(after: colon)...])
        }()
        guard !head.isEmpty else { throw PolicyError("policy '\(text)': missing name (expected NAME or NAME:key=value,...)") }
        name = head.lowercased()
        var values: [String: String] = [:]
        if let tail {
            for item in tail.split(separator: ",", omittingEmptySubsequences: false) {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw PolicyError("policy '\(text)': '\(item)' is not key=value")
                }
                let key = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
                guard values[key] == nil else { throw PolicyError("policy '\(text)': '\(key)' given twice") }
                values[key] = parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        self.values = values
    }
}

/// Typed, range-checked access to a spec's values; reports keys nobody asked for. The accessors
/// without a range read the range and default from the policy's declared parameters
/// (`PolicyRegistry`), so what the help says is what parsing does.
public struct PolicyParameters {
    public let spec: PolicySpec
    public let declared: [PolicyParameter]
    private var used: Set<String> = []

    public init(_ spec: PolicySpec, declared: [PolicyParameter] = []) { self.spec = spec; self.declared = declared }

    private func declaration(_ key: String) -> PolicyParameter {
        guard let d = declared.first(where: { $0.key == key }) else {
            preconditionFailure("policy \(spec.name): parameter \(key) is not declared in PolicyRegistry")
        }
        return d
    }

    /// A declared integer; `value` overrides the declared default (one that depends on a file).
    public mutating func int(_ key: String, default value: Int? = nil) throws -> Int {
        guard case .int(let range) = declaration(key).kind else { preconditionFailure("\(key) is not an integer") }
        guard let v = value ?? declaration(key).defaultValue.flatMap({ Int($0) }) else { preconditionFailure("\(key) has no default") }
        return try int(key, default: v, in: range)
    }

    /// A declared number; `value` overrides the declared default.
    public mutating func float(_ key: String, default value: Float? = nil) throws -> Float {
        guard case .float(let range) = declaration(key).kind else { preconditionFailure("\(key) is not a number") }
        guard let v = value ?? declaration(key).defaultValue.flatMap({ Float($0) }) else { preconditionFailure("\(key) has no default") }
        return try float(key, default: v, in: range)
    }

    /// A declared choice.
    public mutating func choice(_ key: String) throws -> String {
        guard case .choice(let allowed) = declaration(key).kind, let v = declaration(key).defaultValue else {
            preconditionFailure("\(key) is not a choice with a default")
        }
        return try choice(key, default: v, among: allowed)
    }

    public mutating func int(_ key: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        used.insert(key)
        guard let text = spec.values[key] else { return value }
        guard let v = Int(text), range.contains(v) else {
            throw PolicyError("policy \(spec.name): \(key)=\(text) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public mutating func float(_ key: String, default value: Float, in range: ClosedRange<Float>) throws -> Float {
        used.insert(key)
        guard let text = spec.values[key] else { return value }
        guard let v = Float(text), v.isFinite, range.contains(v) else {
            throw PolicyError("policy \(spec.name): \(key)=\(text) must be a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public mutating func choice(_ key: String, default value: String, among allowed: [String]) throws -> String {
        used.insert(key)
        guard let text = spec.values[key] else { return value }
        guard allowed.contains(text.lowercased()) else {
            throw PolicyError("policy \(spec.name): \(key)=\(text) must be one of \(allowed.joined(separator: ", "))")
        }
        return text.lowercased()
    }

    /// A declared head list: nil for `all`, else the ascending query heads (`0+3+5-8`). Checked
    /// against the model's head count by the policy's `check`.
    public mutating func heads(_ key: String) throws -> [Int]? {
        guard case .heads = declaration(key).kind else { preconditionFailure("\(key) is not a head list") }
        used.insert(key)
        let text = (spec.values[key] ?? declaration(key).defaultValue ?? "all").lowercased()
        if text == "all" { return nil }
        var heads = Set<Int>()
        for item in text.split(separator: "+", omittingEmptySubsequences: false) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(ends.count), let lo = ends[0], let hi = ends[ends.count - 1], lo >= 0, lo <= hi, hi < 100_000 else {
                throw PolicyError("policy \(spec.name): \(key)=\(text): '\(item)' is not a head or range first-last (heads: all, or e.g. 0+3+5-8)")
            }
            heads.formUnion(lo...hi)
        }
        return heads.sorted()
    }

    public mutating func string(_ key: String) -> String? {
        used.insert(key)
        return spec.values[key]
    }

    /// Throws if the spec has a key that no accessor asked for.
    public func finish() throws {
        let unknown = spec.values.keys.filter { !used.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let known = used.sorted().joined(separator: ", ")
            throw PolicyError("policy \(spec.name): unknown parameter \(unknown.joined(separator: ", "))"
                              + (known.isEmpty ? " (it takes none)" : " (known: \(known))"))
        }
    }
}
