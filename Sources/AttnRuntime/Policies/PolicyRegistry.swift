// The one list of policies: each policy's command-line name, what it does, its parameters with
// their ranges and defaults, and how to build it. Parsing (`make`), the policies' own parameter
// reading (`PolicyParameters`) and `record --help` all read this list, so none of them can go
// stale when a policy is added or a default changes.

/// One `key=value` a policy takes.
public struct PolicyParameter: Sendable {
    public enum Kind: Sendable {
        case int(ClosedRange<Int>)
        case float(ClosedRange<Float>)
        case choice([String])
        case path
        /// Query heads: `all`, or indices and ranges joined by '+' (`0+3+5-8`).
        case heads
    }

    public let key: String
    public let kind: Kind
    /// The default as written on the command line; nil: required, or taken from a file (`note`).
    public let defaultValue: String?
    /// Where the default comes from when it is not a constant.
    public let note: String?

    public init(_ key: String, _ kind: Kind, default value: String?, note: String? = nil) {
        self.key = key; self.kind = kind; defaultValue = value; self.note = note
    }

    /// "window=64"; without a constant default a placeholder: "budgets=FILE", "window=N", "alpha=X".
    public var usage: String {
        if let defaultValue { return "\(key)=\(defaultValue)" }
        switch kind {
        case .path: return "\(key)=FILE"
        case .heads: return "\(key)=all|H+H-H"
        case .int: return "\(key)=N"
        case .float: return "\(key)=X"
        case .choice(let c): return "\(key)=\(c.joined(separator: "|"))"
        }
    }
}

/// A policy as the command line knows it.
public struct PolicyDescriptor: Sendable {
    public let name: String
    public let mode: AttentionPolicyMode
    public let summary: String
    public let parameters: [PolicyParameter]
    let build: @Sendable (inout PolicyParameters, (String) throws -> String) throws -> AttentionPolicy

    /// "streaming[:sink=4,window=64]", "tca:budgets=FILE[,window=...,alpha=...]", "dense".
    public var usage: String {
        let required = parameters.filter { $0.defaultValue == nil && $0.note == nil }
        let optional = parameters.filter { $0.defaultValue != nil || $0.note != nil }
        var text = name
        if !required.isEmpty { text += ":" + required.map(\.usage).joined(separator: ",") }
        if !optional.isEmpty {
            text += "[" + (required.isEmpty ? ":" : ",") + optional.map(\.usage).joined(separator: ",") + "]"
        }
        return text
    }
}

/// Every policy this runtime knows, by command-line name.
public enum PolicyRegistry {
    public static let all: [PolicyDescriptor] = [
        PolicyDescriptor(name: "dense", mode: .dense, summary: "every query attends to every cached key (the reference)",
                         parameters: []) { _, _ in DensePolicy() },
        PolicyDescriptor(
            name: "streaming", mode: .evicts, summary: "StreamingLLM: keep the first sink positions and the last window",
            parameters: [PolicyParameter("sink", .int(0...1_000_000), default: "4"),
                         PolicyParameter("window", .int(1...1_000_000), default: "64")]) { p, _ in try StreamingPolicy(&p) },
        PolicyDescriptor(
            name: "h2o", mode: .evicts, summary: "H2O: the heavy hitters by summed attention + the last window",
            parameters: [PolicyParameter("heavy", .int(0...1_000_000), default: "64"),
                         PolicyParameter("window", .int(1...1_000_000), default: "64")]) { p, _ in try H2OPolicy(&p) },
        PolicyDescriptor(
            name: "snapkv", mode: .evicts,
            summary: "SnapKV: the prompt keys the last window votes for, up to capacity",
            parameters: [PolicyParameter("window", .int(1...1_000_000), default: "32"),
                         PolicyParameter("capacity", .int(2...1_000_000), default: "1024"),
                         PolicyParameter("kernel", .int(1...1001), default: "5"),
                         PolicyParameter("pool", .choice(["avg", "max"]), default: "avg")]) { p, _ in try SnapKVPolicy(&p) },
        PolicyDescriptor(
            name: "tca", mode: .evicts,
            summary: "TCA-Attention: per-head budgets from attnscope calibrate",
            parameters: [PolicyParameter("budgets", .path, default: nil),
                         PolicyParameter("window", .int(1...1_000_000), default: nil, note: "the budgets file's"),
                         PolicyParameter("alpha", .float(0...1), default: nil, note: "the budgets file's")]) { p, load in
                try TCAPolicy(&p, loadFile: load)
            },
        PolicyDescriptor(
            name: "quest", mode: .selects,
            summary: "Quest: each decode query attends to its best pages",
            parameters: [PolicyParameter("page", .int(1...4096), default: "16"),
                         PolicyParameter("budget", .int(1...10_000_000), default: "1024"),
                         PolicyParameter("dense_layers", .int(0...10_000), default: "2")]) { p, _ in try QuestPolicy(&p) },
        PolicyDescriptor(
            name: "oracle", mode: .selects,
            summary: "the exact top-budget entries by dense attention: the upper bound",
            parameters: [PolicyParameter("budget", .int(1...10_000_000), default: "256"),
                         PolicyParameter("per", .choice(["kv", "head"]), default: "kv")]) { p, _ in try OraclePolicy(&p) },
        PolicyDescriptor(
            name: "knn", mode: .selects, summary: "kNN: each query head attends to its top-budget keys by q·k",
            parameters: [PolicyParameter("budget", .int(1...10_000_000), default: "256")]) { p, _ in try KNNPolicy(&p) },
        PolicyDescriptor(
            name: "power", mode: .selects,
            summary: "PowerAttention: sink, window, power-of-two dilated blocks",
            parameters: [PolicyParameter("block", .int(1...65_536), default: "16"),
                         PolicyParameter("sink", .int(0...1_000_000), default: "1"),
                         PolicyParameter("window", .int(1...1_000_000), default: "2")]) { p, _ in try PowerPolicy(&p) },
        PolicyDescriptor(
            name: "zerotuning", mode: .dense,
            summary: "ZeroTuning: the initial token's weight × gamma, renormalised",
            parameters: [PolicyParameter("gamma", .float(0.01...100), default: "1.5"),
                         PolicyParameter("heads", .heads, default: "all")]) { p, _ in try ZeroTuningPolicy(&p) },
        PolicyDescriptor(
            name: "act", mode: .dense,
            summary: "ACT: hidden sinks of the prompt × beta in decode, mass to the rest",
            parameters: [PolicyParameter("beta", .float(0...1), default: "0.4"),
                         PolicyParameter("threshold", .float(0...1), default: "0.1"),
                         PolicyParameter("heads", .heads, default: "all")]) { p, _ in try ACTPolicy(&p) },
        PolicyDescriptor(
            name: "moa", mode: .selects, summary: "MoA: per head a sink + a band of alpha + beta·N recent entries",
            parameters: [PolicyParameter("sink", .int(0...1_000_000), default: "64"),
                         PolicyParameter("alpha", .float(-1_000_000...1_000_000), default: "64.0"),
                         PolicyParameter("beta", .float(0...1), default: "0.25"),
                         PolicyParameter("spans", .path, default: "none")]) { p, load in
                try MoAPolicy(&p, loadFile: load)
            },
        PolicyDescriptor(
            name: "delta", mode: .selects,
            summary: "DELTA: full layers; Δ-layers plan pages the sparse layers share",
            parameters: [PolicyParameter("full_layers", .heads, default: "0-2+14+22"),
                         PolicyParameter("page", .int(1...4096), default: "16"),
                         PolicyParameter("pages", .int(1...1_000_000), default: "64"),
                         PolicyParameter("recent", .int(0...1_000_000), default: "8")]) { p, _ in try DeltaPolicy(&p) },
    ]

    public static var names: [String] { all.map(\.name) }

    public static func descriptor(_ name: String) -> PolicyDescriptor? { all.first { $0.name == name } }

    /// For each policy its usage with the defaults (and where defaults that are not constants
    /// come from), then, indented, its mode and what it does.
    public static var helpLines: [String] {
        all.flatMap { d -> [String] in
            let notes = Dictionary(grouping: d.parameters.filter { $0.note != nil }, by: { $0.note! })
                .sorted { $0.key < $1.key }
                .map { "  (" + $0.value.map(\.key).joined(separator: ", ") + ": " + $0.key + ")" }
                .joined()
            return [d.usage + notes, "    \(d.mode.rawValue): \(d.summary)"]
        }
    }

    /// Builds the policy `text` describes. A TCA budgets file is read with `loadFile` (its path
    /// is in the spec as `budgets=PATH`).
    public static func make(_ text: String, loadFile: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) })
        throws -> AttentionPolicy {
        if PolicyLayerMap.looksLikeMap(text) {
            return try LayerMapPolicy(map: PolicyLayerMap(parsing: text)) { try make($0, loadFile: loadFile) }
        }
        let spec = try PolicySpec(parsing: text)
        guard let d = descriptor(spec.name) else {
            throw PolicyError("unknown policy '\(spec.name)' (known: \(names.joined(separator: ", ")))")
        }
        var p = PolicyParameters(spec, declared: d.parameters)
        let policy = try d.build(&p, loadFile)
        try p.finish()
        return policy
    }

    /// Builds the layer map of a policy file (PolicyLayerMap.swift).
    public static func make(policyFile path: String,
                            loadFile: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) })
        throws -> AttentionPolicy {
        let text: String
        do { text = try loadFile(path) } catch { throw PolicyError("policy file \(path): cannot read (\(error.localizedDescription))") }
        let map = try PolicyLayerMap(json: Data(text.utf8), path: path)
        return try LayerMapPolicy(map: map, source: path) { try make($0, loadFile: loadFile) }
    }
}

import Foundation
