// `--bookmark NAME` of `stats` and `render`, and the bookmarks the viewer opens with: read from the
// trace's sidecar file (AttnAnalysis.BookmarkFile); a sidecar of another trace, or a name it does
// not hold, exits 2 with one message.

import AttnAnalysis
import AttnTUI
import AttnTrace

enum BookmarkOption {
    /// The trace's bookmark file (empty when there is none yet).
    static func file(trace path: String, header: RunHeader) throws -> BookmarkFile {
        do { return try BookmarkFile.load(forTrace: path, header: header) } catch { throw CLIError(nil, "\(error)") }
    }

    /// The bookmark `name`, checked against the trace's shape.
    static func find(_ name: String, trace path: String, header: RunHeader, steps: Int) throws -> Bookmark {
        let f = try file(trace: path, header: header)
        guard let b = f.bookmark(named: name) else {
            let known = f.bookmarks.map(\.name)
            throw CLIError("--bookmark \(name)", known.isEmpty ? "\(path) has no bookmarks (m in the viewer marks one)"
                           : "no such bookmark in \(f.path) (it has \(known.joined(separator: ", ")))")
        }
        do {
            try DeepLink(layer: b.layer, head: b.head, step: b.step).check(layers: header.model.layers, heads: header.model.heads, steps: steps)
        } catch { throw CLIError("--bookmark \(name)", "\(b.place): \(error)") }
        return b
    }
}
