// Bookmarks of a trace: named places (step, layer, head) with a note, kept in a small sidecar file
// beside the trace (`run.atrace.marks`), never inside it. The sidecar names the trace it belongs to
// (a hash of the run header, plus what a person recognises: model, policy, creation time), so a
// bookmark file copied next to another trace is refused with a message instead of pointing at
// places that mean nothing there.

import AttnTrace
import Foundation

public struct Bookmark: Codable, Equatable, Sendable {
    public var name: String
    public var step: Int
    public var layer: Int
    public var head: Int
    public var note: String

    public init(name: String, step: Int, layer: Int, head: Int, note: String = "") {
        self.name = name; self.step = step; self.layer = layer; self.head = head; self.note = note
    }

    /// "L3H1@12", the `--at` form.
    public var place: String { "L\(layer)H\(head)@\(step)" }
}

/// Which trace a bookmark file belongs to.
public struct TraceIdentity: Codable, Equatable, Sendable {
    /// FNV-1a 64 of the run header's fields, in hex.
    public var hash: String
    public var model: String
    public var policy: String
    public var created: Int64

    public init(_ h: RunHeader) {
        var text = "\(h.producer)\u{1}\(h.createdUnixSeconds)\u{1}\(h.model.name)\u{1}\(h.model.architecture)\u{1}"
        text += "\(h.model.layers)x\(h.model.heads)x\(h.model.kvHeads)\u{1}\(h.policy.name)\u{1}"
        text += h.policy.parameters.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        text += "\u{1}\(h.capture.rawValue)\u{1}\(h.rowInterval)\u{1}\(h.prompt)\u{1}"
        text += h.promptTokens.map { String($0.id) }.joined(separator: ",")
        var x: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { x = (x ^ UInt64(b)) &* 0x100_0000_01b3 }
        hash = String(x, radix: 16)
        model = h.model.name; policy = h.policy.name; created = h.createdUnixSeconds
    }

    /// "model tiny, policy streaming, created 2026-12-07 23:19:49 UTC".
    public var description: String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return "model \(model), policy \(policy), created \(f.string(from: Date(timeIntervalSince1970: TimeInterval(created))))"
    }
}

public struct BookmarkError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// The bookmarks of one trace and the sidecar file they live in.
public struct BookmarkFile: Equatable, Sendable {
    public static let format = "attnscope-bookmarks 1"
    public var path: String
    public var trace: TraceIdentity
    public var bookmarks: [Bookmark]

    /// The sidecar of `tracePath`: the trace's path with ".marks" appended.
    public static func sidecarPath(of tracePath: String) -> String { tracePath + ".marks" }

    public init(path: String, trace: TraceIdentity, bookmarks: [Bookmark]) {
        self.path = path; self.trace = trace; self.bookmarks = bookmarks
    }

    struct Stored: Codable {
        var format: String
        var trace: TraceIdentity
        var bookmarks: [Bookmark]
    }

    /// The bookmarks beside `tracePath` (none when there is no sidecar yet). Throws when the sidecar
    /// cannot be read, is not a bookmark file, or belongs to another trace.
    public static func load(forTrace tracePath: String, header: RunHeader) throws -> BookmarkFile {
        let path = sidecarPath(of: tracePath)
        let me = TraceIdentity(header)
        guard FileManager.default.fileExists(atPath: path) else { return BookmarkFile(path: path, trace: me, bookmarks: []) }
        guard let data = FileManager.default.contents(atPath: path) else { throw BookmarkError("\(path): cannot read the bookmark file") }
        guard let stored = try? JSONDecoder().decode(Stored.self, from: data), stored.format == format else {
            throw BookmarkError("\(path): not an attnscope bookmark file (expected \"format\": \"\(format)\")")
        }
        guard stored.trace.hash == me.hash else {
            throw BookmarkError("\(path): bookmarks of another trace (\(stored.trace.description)), not of \(tracePath) (\(me.description)); move or delete the file")
        }
        return BookmarkFile(path: path, trace: me, bookmarks: stored.bookmarks)
    }

    public func bookmark(named name: String) -> Bookmark? { bookmarks.first { $0.name == name } }

    /// A name not used yet: m1, m2, …
    public func freshName() -> String {
        var i = bookmarks.count + 1
        while bookmark(named: "m\(i)") != nil { i += 1 }
        return "m\(i)"
    }

    /// Adds `b`, replacing a bookmark of the same name.
    public mutating func set(_ b: Bookmark) {
        if let i = bookmarks.firstIndex(where: { $0.name == b.name }) { bookmarks[i] = b } else { bookmarks.append(b) }
    }

    /// Writes the sidecar (through a temporary file, so a crash never leaves half a file).
    public func save() throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try e.encode(Stored(format: Self.format, trace: trace, bookmarks: bookmarks))
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw BookmarkError("\(path): cannot write the bookmark file (\((error as NSError).localizedDescription))")
        }
    }
}
