// `stats --bookmark NAME`: the bookmarked head at the bookmarked step — its metrics there, its class
// and its summaries over the run (from RunStats), and the bookmark's note.

import AttnTrace
import Foundation

public struct BookmarkReport: Codable, Equatable, Sendable {
    public var bookmark: Bookmark
    /// Metric name → the head's value at the bookmarked step (`Metric.summarisedPerHead`).
    public var atStep: [String: Double]
    public var head: HeadStats

    /// nil when the run statistics have no such head. `context`: positions the step's query has seen.
    public init?(bookmark: Bookmark, metrics: HeadMetrics, context: Int, stats: RunStats) {
        guard let h = stats.heads.first(where: { $0.layer == bookmark.layer && $0.head == bookmark.head }) else { return nil }
        self.bookmark = bookmark
        head = h
        atStep = Dictionary(uniqueKeysWithValues: Metric.summarisedPerHead.map { ($0.name, metrics.value($0, context: context)) })
    }

    public func renderJSON() -> String { prettyJSON(self) }

    public func renderText(label: String) -> String {
        var out = "attnscope stats: \(label), bookmark \(bookmark.name): L\(bookmark.layer) H\(bookmark.head) at step \(bookmark.step)\n"
        if !bookmark.note.isEmpty { out += "  note      \(bookmark.note)\n" }
        out += "  class     \(head.headClass.rawValue) (over the run)\n"
        var table: [[String]] = [["metric", "at step \(bookmark.step)", "run mean", "min", "p50", "p90", "max"]]
        for m in Metric.summarisedPerHead {
            let s = head.metrics[m.name]
            func f(_ x: Double?) -> String { fixed(x ?? .nan) }
            table.append([m.name, f(atStep[m.name]), f(s?.mean), f(s?.min), f(s?.p50), f(s?.p90), f(s?.max)])
        }
        let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max() ?? 0 }
        for row in table {
            out += "  " + row.enumerated().map { c, v in c == 0 ? v.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - v.count) + v }.joined(separator: "  ") + "\n"
        }
        return out
    }
}
