// Escaping text for the formats attnscope writes: quoted strings (the dump, JSON) and XML/HTML
// (JUnit, HTML reports, SVG). One place for each rule, so every writer escapes alike.

/// `s` in double quotes with `\\`, `\"`, `\n`, `\r` and `\t` escaped; any other scalar for which
/// `other` returns text is replaced by that text (control characters, in the caller's notation).
public func backslashQuoted(_ s: String, other: (Unicode.Scalar) -> String?) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if let e = other(u) { out += e } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

/// Escapes text for XML/HTML content and attribute values. Characters XML 1.0 forbids are
/// replaced by `forbidden` (dropped by default).
public func xmlEscape(_ s: String, forbidden: String = "") -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            let v = u.value
            if v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v != 0xFFFE && v != 0xFFFF) {
                out.unicodeScalars.append(u)
            } else {
                out += forbidden
            }
        }
    }
    return out
}
