// The `:` prompt: "120" or "s 120" jumps to a step, "l 3" / "h 5" to a layer / head, "L3H5" to both,
// "L3H5@120" (the deep-link form of `view --at`) to all three.

public struct JumpCommand: Equatable, Sendable {
    public var step: Int?
    public var layer: Int?
    public var head: Int?

    /// nil when the text is not a jump.
    public static func parse(_ text: String) -> JumpCommand? {
        if text.contains("@") {
            guard let link = try? DeepLink.parse(text) else { return nil }
            return JumpCommand(step: link.step, layer: link.layer, head: link.head)
        }
        var cmd = JumpCommand()
        // split "L3H5" into "L3 H5", and "s 12" into pairs
        var tokens: [String] = []
        for word in text.split(separator: " ") {
            var current = ""
            for ch in word {
                if ch.isLetter, !current.isEmpty, current.last!.isNumber { tokens.append(current); current = "" }
                current.append(ch)
            }
            if !current.isEmpty { tokens.append(current) }
        }
        var pending: Character? = nil
        for t in tokens {
            let letters = t.prefix { $0.isLetter }.lowercased()
            let digits = t.dropFirst(letters.count)
            if !digits.isEmpty, digits.allSatisfy(\.isNumber) == false { return nil }
            let key: Character?
            switch letters {
            case "": key = pending ?? "s"
            case "s", "step": key = "s"
            case "l", "layer": key = "l"
            case "h", "head": key = "h"
            default: return nil
            }
            guard let n = Int(digits) else {
                if digits.isEmpty, pending == nil { pending = key; continue }
                return nil
            }
            switch key { case "s": cmd.step = n; case "l": cmd.layer = n; default: cmd.head = n }
            pending = nil
        }
        if pending != nil || (cmd.step == nil && cmd.layer == nil && cmd.head == nil) { return nil }
        return cmd
    }
}
