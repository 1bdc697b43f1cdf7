// Option values with structure (lists, sizes) read from one command-line word. Each type is an
// `ExpressibleByArgument`; options name its throwing `init(parsing:)` as their transform so that a
// wrong value is reported as "<flag> <value>: <problem>" (see ParseErrorText) rather than
// ArgumentParser's bare "invalid value". Options whose values are a fixed list of names are plain
// `CaseIterable` enums: ArgumentParser lists the names, ParseErrorText turns that into "expected …".

import ArgumentParser
import Foundation

/// What is wrong with an option's value; its description is the problem text.
struct ArgumentProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A value parsed with a problem to report when it is wrong.
protocol ParsedArgument: ExpressibleByArgument {
    init(parsing text: String) throws
}

extension ParsedArgument {
    init?(argument: String) { try? self.init(parsing: argument) }
}

/// "1,2,4": comma-separated integers, each at least 1.
struct PositiveInts: ParsedArgument, Equatable {
    var values: [Int]

    init(_ values: [Int]) { self.values = values }

    init(parsing text: String) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ArgumentProblem("expected comma-separated positive integers")
        }
        values = parts.map { $0! }
    }

    var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

/// "pages,dense": comma-separated names of an enum's cases, at least one, in the order given.
struct NameList<Element: ExpressibleByArgument & CaseIterable>: ParsedArgument {
    var values: [Element]

    init(_ values: [Element]) { self.values = values }

    init(parsing text: String) throws {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let picked = names.compactMap(Element.init(argument:))
        guard !names.isEmpty, picked.count == names.count else {
            throw ArgumentProblem("expected names from " + Element.allValueStrings.joined(separator: ", "))
        }
        values = picked
    }

    var defaultValueDescription: String { values.map(\.defaultValueDescription).joined(separator: ",") }
}

/// "200x60": a screen size in cells, at least 20 × 8.
struct ScreenSize: ParsedArgument {
    var width: Int, height: Int

    init(width: Int, height: Int) { self.width = width; self.height = height }

    init(parsing text: String) throws {
        let p = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard p.count == 2, let w = p[0], let h = p[1], w >= 20, h >= 8 else {
            throw ArgumentProblem("expected WxH of at least 20x8, e.g. 200x60")
        }
        width = w; height = h
    }

    var defaultValueDescription: String { "\(width)x\(height)" }
}

/// Range checks for numeric options, reported like a bad value: "<flag> <value>: must be …".
enum Check {
    static func range<T: Comparable>(_ value: T, _ range: ClosedRange<T>, _ flag: String) throws {
        guard range.contains(value) else {
            throw CLIError("\(flag) \(value)", "must be in \(range.lowerBound)...\(range.upperBound)")
        }
    }

    static func atLeast<T: Comparable>(_ value: T, _ minimum: T, _ flag: String) throws {
        guard value >= minimum else { throw CLIError("\(flag) \(value)", "must be ≥ \(minimum)") }
    }
}
