import Foundation
// A per-layer policy map: which policy each layer runs. Two spellings:
//
//   --policy 'L0-1=dense;L2-29=quest:budget=256'      (entries `Lfirst-last=SPEC` or `Ln=SPEC`, ';' between)
//   --policy-file map.json                            (the same map, plus the model shape it was written for)
//
// map.json:
//   { "model": { "name": "SmolLM2-135M-Instruct", "layers": 30, "heads": 9, "kvHeads": 3 },
//     "layers": [ { "layers": "0-1", "policy": "dense" },
//                 { "layers": "2-29", "policy": "quest:budget=256" } ] }
// `model.name` is informational; layers, heads and kvHeads must match the model that runs it.
//
// Ranges may not overlap and, checked against the model (`check`), must cover every layer
// exactly once and name no layer the model lacks. Settings per head are given by the methods
// that define them per head, through their own parameters (e.g. `zerotuning:heads=...`).

/// One entry of a layer map: layers `layers` run the policy `spec` describes.
public struct PolicyLayerRange: Equatable, Sendable {
    public let layers: ClosedRange<Int>
    public let spec: String

    /// "L0-1", "L5".
    public var label: String { layers.count == 1 ? "L\(layers.lowerBound)" : "L\(layers.lowerBound)-\(layers.upperBound)" }
}

/// A parsed layer map, not yet checked against a model.
public struct PolicyLayerMap: Equatable, Sendable {
    public let ranges: [PolicyLayerRange]
    /// The model shape a policy file was written for (nil for the command-line spelling).
    public let model: ModelShape?

    public struct ModelShape: Equatable, Sendable {
        public let name: String?
        public let layers: Int, heads: Int, kvHeads: Int
    }

    /// True when `text` is written as a layer map (`L<digit>...`); policy names never start so.
    public static func looksLikeMap(_ text: String) -> Bool {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let first = t.first, first == "L" || first == "l", t.count > 1 else { return false }
        return t[t.index(after: t.startIndex)].isNumber
    }

    /// `L0-1=dense;L2-29=quest:budget=256`.
    public init(parsing text: String) throws {
        var ranges: [PolicyLayerRange] = []
        for item in text.split(separator: ";", omittingEmptySubsequences: true) {
            let entry = item.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else { continue }
            guard let eq = entry.firstIndex(of: "=") else {
                throw PolicyError("layer map: '\(entry)' is not Lfirst-last=POLICY")
            }
            let label = entry[..<eq].trimmingCharacters(in: .whitespaces)
            guard label.first == "L" || label.first == "l" else {
                throw PolicyError("layer map: '\(entry)' is not Lfirst-last=POLICY")
            }
            let layers = try Self.parseRange(String(label.dropFirst()), entry: entry)
            ranges.append(PolicyLayerRange(layers: layers, spec: entry[entry.index(after: eq)...].trimmingCharacters(in: .whitespaces)))
        }
        try self.init(ranges: ranges, model: nil)
    }

    /// A policy file's JSON.
    public init(json data: Data, path: String) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PolicyError("policy file \(path): not a JSON object")
        }
        let known: Set<String> = ["model", "layers"]
        if let extra = root.keys.filter({ !known.contains($0) }).sorted().first {
            throw PolicyError("policy file \(path): unknown key '\(extra)' (known: layers, model)")
        }
        guard let m = root["model"] as? [String: Any] else { throw PolicyError("policy file \(path): missing \"model\" object") }
        func count(_ key: String) throws -> Int {
            guard let v = m[key] as? Int, v >= 1 else { throw PolicyError("policy file \(path): model.\(key) must be a positive integer") }
            return v
        }
        let model = ModelShape(name: m["name"] as? String, layers: try count("layers"), heads: try count("heads"),
                               kvHeads: try count("kvHeads"))
        guard let list = root["layers"] as? [[String: Any]], !list.isEmpty else {
            throw PolicyError("policy file \(path): \"layers\" must be a non-empty list of {\"layers\": \"0-1\", \"policy\": \"dense\"}")
        }
        var ranges: [PolicyLayerRange] = []
        for (i, e) in list.enumerated() {
            if let extra = e.keys.filter({ $0 != "layers" && $0 != "policy" }).sorted().first {
                throw PolicyError("policy file \(path): layers[\(i)]: unknown key '\(extra)' (known: layers, policy)")
            }
            guard let l = e["layers"] as? String, let p = e["policy"] as? String else {
                throw PolicyError("policy file \(path): layers[\(i)] needs \"layers\" (\"0-1\") and \"policy\" strings")
            }
            ranges.append(PolicyLayerRange(layers: try Self.parseRange(l, entry: "layers[\(i)] \(l)"), spec: p))
        }
        try self.init(ranges: ranges, model: model)
    }

    init(ranges: [PolicyLayerRange], model: ModelShape?) throws {
        guard !ranges.isEmpty else { throw PolicyError("layer map: no entries (expected Lfirst-last=POLICY;...)") }
        let sorted = ranges.sorted { $0.layers.lowerBound < $1.layers.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.layers.lowerBound <= a.layers.upperBound {
            throw PolicyError("layer map: \(a.label) and \(b.label) overlap (layer \(b.layers.lowerBound) is given twice)")
        }
        self.ranges = sorted; self.model = model
    }

    /// "3" or "0-29".
    static func parseRange(_ text: String, entry: String) throws -> ClosedRange<Int> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count), let lo = Int(parts[0]), let hi = Int(parts[parts.count - 1]), lo >= 0 else {
            throw PolicyError("layer map: '\(entry)': '\(text)' is not a layer or range first-last")
        }
        guard lo <= hi else { throw PolicyError("layer map: '\(entry)': range \(lo)-\(hi) is empty") }
        return lo...hi
    }

    /// Every layer 0 ..< layers covered exactly once, no layer beyond, and a policy file's shape.
    public func check(layers: Int, shape: AttentionShape, path: String? = nil) throws {
        if let m = model, m.layers != layers || m.heads != shape.heads || m.kvHeads != shape.kvHeads {
            throw PolicyError("policy file \(path ?? "")\(m.name.map { " (\($0))" } ?? ""): written for \(m.layers) layers × \(m.heads) heads × "
                              + "\(m.kvHeads) KV heads, the model has \(layers) × \(shape.heads) × \(shape.kvHeads)")
        }
        if let last = ranges.last, last.layers.upperBound >= layers {
            throw PolicyError("layer map: \(last.label) names layer \(last.layers.upperBound); the model has \(layers) layers (0-\(layers - 1))")
        }
        var next = 0
        var gaps: [String] = []
        for r in ranges {
            if r.layers.lowerBound > next { gaps.append(PolicyLayerRange(layers: next...(r.layers.lowerBound - 1), spec: "").label) }
            next = r.layers.upperBound + 1
        }
        if next < layers { gaps.append(PolicyLayerRange(layers: next...(layers - 1), spec: "").label) }
        guard gaps.isEmpty else {
            throw PolicyError("layer map: no policy for \(gaps.joined(separator: ", ")) (every layer 0-\(layers - 1) needs one)")
        }
    }
}
