import ArgumentParser
import Foundation

/// Every failure a command reports, and the only way a command ends with a status other than 0
/// (validate() throws it too). `AttnScope.fail` prints it as
/// "attnscope <command>: <subject>: <problem>" on stderr (with the command's short usage when
/// `usage` is set) and exits with `status`, 2 unless said otherwise. The subject is the file,
/// flag or value the problem is about.
struct CLIError: Error, CustomStringConvertible {
    var subject: String?
    var problem: String
    /// A command line that cannot work as given: the short usage follows the message.
    var usage = false
    var status: Int32 = 2

    /// `problem` may already start with the subject (errors of the libraries name their file:
    /// "x.gguf: offset 8: ...", "x.atrace at byte 12: ..."): the subject is then said once.
    init(_ subject: String?, _ problem: String, usage: Bool = false, status: Int32 = 2) {
        var subject = subject, p = problem
        if let s = subject, !s.isEmpty {
            while p.hasPrefix(s + ": ") { p.removeFirst(s.count + 2) }
            if p.hasPrefix(s + " ") { subject = nil }
            // "--out x.atrace" with "x.atrace at byte 0: ..." → "--out x.atrace at byte 0: ..."
            if let space = s.lastIndex(of: " ") {
                let flag = String(s[..<space]), value = String(s[s.index(after: space)...])
                while p.hasPrefix(value + ": ") { p.removeFirst(value.count + 2) }
                if p.hasPrefix(value + " ") { subject = nil; p = flag + " " + p }
            }
        }
        self.subject = subject
        self.problem = p
        self.usage = usage
        self.status = status
    }

    /// A verdict the command has already printed (diff: outside tolerance → 1): only the status.
    static func verdict(status: Int32) -> CLIError { CLIError(nil, "", status: status) }

    /// An error from a library call about `subject` (its description, without a repeated subject).
    init(_ subject: String, _ error: Error) { self.init(subject, "\(error)") }

    var description: String { subject.map { "\($0): \(problem)" } ?? problem }

    /// The line printed on stderr.
    func line(command: String) -> String { "attnscope \(command): \(description)" }
}

/// Turns ArgumentParser's parse errors ("Unknown option '--x'", "Missing expected argument
/// '--out <out>'", "The value 'abc' is invalid for '-n <n>'") into subject and problem.
/// A value a typed option or validate() refused comes without the usage (the message says what
/// is expected); a command line of the wrong form (unknown, missing or unreadable arguments) with it.
enum ParseErrorText {
    static func error(_ message: String) -> CLIError {
        let (subject, problem, usage) = split(message)
        return CLIError(subject, problem, usage: usage)
    }

    static func split(_ message: String) -> (subject: String?, problem: String, usage: Bool) {
        let text = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
        let firstLine = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
        let quoted = firstLine.split(separator: "'", omittingEmptySubsequences: false).map(String.init)
        func flag(_ s: String) -> String { String(s.split(separator: " ").first ?? Substring(s)) }
        if firstLine.hasPrefix("Unknown option"), quoted.count >= 3 { return (quoted[1], "unknown option", true) }
        if firstLine.hasPrefix("Unexpected argument"), quoted.count >= 3 { return (quoted[1], "unexpected argument", true) }
        if firstLine.hasPrefix("Missing expected argument"), quoted.count >= 3 {
            return (flag(quoted[1]), "missing (expected \(quoted[1]))", true)
        }
        if firstLine.hasPrefix("Missing value for"), quoted.count >= 3 { return (flag(quoted[1]), "missing its value", true) }
        if firstLine.hasPrefix("The value"), quoted.count >= 5 {
            let subject = flag(quoted[3]) + " " + quoted[1]
            // a ParsedArgument's problem: "... for '--size <size>': expected WxH ..."
            let rest = quoted[4...].joined(separator: "'")
            if rest.hasPrefix(": ") { return (subject, String(rest.dropFirst(2)), false) }
            // an enum's names: "... Please provide one of 'a', 'b' or 'c'." (or a bulleted list)
            if let names = providedNames(text) { return (subject, "expected " + names, false) }
            return (flag(quoted[3]), "'\(quoted[1])' is not a valid value" + reason(after: firstLine), true)
        }
        // validate()'s CLIError: "--flag [value]: problem"
        if firstLine.hasPrefix("-"), let colon = firstLine.range(of: ": ") {
            return (String(firstLine[..<colon.lowerBound]), String(firstLine[colon.upperBound...]), false)
        }
        return (nil, firstLine.isEmpty ? "bad command line" : firstLine, true)
    }

    /// "a, b or c" from ArgumentParser's "Please provide one of 'a', 'b' or 'c'." or its bulleted form.
    private static func providedNames(_ text: String) -> String? {
        guard let r = text.range(of: "Please provide one of ") else { return nil }
        let tail = text[r.upperBound...]
        if tail.hasPrefix("the following:") {
            let names = tail.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
            guard let last = names.last else { return nil }
            return names.count == 1 ? last : names.dropLast().joined(separator: ", ") + " or " + last
        }
        let line = (tail.split(separator: "\n").first.map(String.init) ?? "").replacingOccurrences(of: "'", with: "")
            .trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        // two names come as "a and b"
        return line.contains(", ") ? line : line.replacingOccurrences(of: " and ", with: " or ")
    }

    /// ArgumentParser puts the reason, when it has one, after ". " in the same line.
    private static func reason(after line: String) -> String {
        guard let dot = line.range(of: ". ") else { return "" }
        return " (" + line[dot.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: ". ")).lowercased() + ")"
    }
}
