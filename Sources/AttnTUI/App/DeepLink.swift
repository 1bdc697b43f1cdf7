// Deep links: "L14H3@120" (layer 14, head 3, step 120) for `view --at`, `render` and the `:` prompt,
// and view names for `--view`.

/// A place in a trace: any of layer, head and step. Parsed strictly for the command line, where a
/// typo must say what is wrong instead of opening somewhere else.
public struct DeepLink: Equatable, Sendable {
    public var layer: Int?
    public var head: Int?
    public var step: Int?

    public init(layer: Int? = nil, head: Int? = nil, step: Int? = nil) {
        self.layer = layer; self.head = head; self.step = step
    }

    public static let forms = "L<layer>H<head>@<step>, L<layer>H<head>, L<layer>, @<step> (e.g. L14H3@120)"

    /// Parses `L14H3@120`, `L14H3`, `L14`, `L14@120`, `@120` (letters in either case). Throws a
    /// one-line reason for anything else.
    public static func parse(_ text: String) throws -> DeepLink {
        let t = String(String(text.drop(while: \.isWhitespace).reversed()).drop(while: \.isWhitespace).reversed())
        guard !t.isEmpty else { throw DeepLinkError("empty; expected \(forms)") }
        let parts = t.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw DeepLinkError("more than one '@'; expected \(forms)") }
        var link = DeepLink()
        if parts.count == 2 {
            guard !parts[1].isEmpty else { throw DeepLinkError("no step after '@'; expected \(forms)") }
            guard parts[1].allSatisfy(\.isASCII), let s = Int(parts[1]), s >= 0 else {
                throw DeepLinkError("step '\(parts[1])' is not a whole number ≥ 0")
            }
            link.step = s
        }
        var rest = Substring(parts[0])
        func number(after letter: Character) throws -> Int? {
            guard let first = rest.first, first.lowercased() == String(letter).lowercased() else { return nil }
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let n = Int(digits) else {
                throw DeepLinkError("'\(letter)' must be followed by a number; expected \(forms)")
            }
            rest = rest.dropFirst(digits.count)
            return n
        }
        link.layer = try number(after: "L")
        link.head = try number(after: "H")
        guard rest.isEmpty else { throw DeepLinkError("cannot read '\(rest)'; expected \(forms)") }
        if link.head != nil && link.layer == nil { throw DeepLinkError("a head needs its layer; expected \(forms)") }
        if link.layer == nil && link.step == nil { throw DeepLinkError("names no layer and no step; expected \(forms)") }
        return link
    }

    /// Checks the place against a trace's shape; throws which part is out of range.
    public func check(layers: Int, heads: Int, steps: Int) throws {
        if let l = layer, l >= layers { throw DeepLinkError("layer \(l) is out of range (the model has \(layers) layers, 0–\(layers - 1))") }
        if let h = head, h >= heads { throw DeepLinkError("head \(h) is out of range (the model has \(heads) heads, 0–\(heads - 1))") }
        if let s = step, s >= steps { throw DeepLinkError("step \(s) is out of range (the trace has \(steps) steps, 0–\(steps - 1))") }
    }
}

public struct DeepLinkError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ d: String) { description = d }
}

extension Screen {
    /// The names `--view` accepts: overview, heatmap, heads, timeline, tokens, info, diff.
    public static let names: [(String, Screen)] = [("overview", .overview), ("heatmap", .heatmap), ("heads", .heads),
                                                   ("timeline", .timeline), ("tokens", .tokens), ("info", .runInfo),
                                                   ("diff", .compare)]
    public init?(name: String) {
        guard let s = Screen.names.first(where: { $0.0 == name.lowercased() })?.1 else { return nil }
        self = s
    }
}
