import AttnAnalysis
import AttnTUI
import AttnTrace

/// Where `view` and `render` start: `--at L14H3@120` and `--view heatmap`, checked against the
/// trace before any terminal or file is touched (a bad form or an out-of-range place exits 2).
struct ViewPlace {
    var link: DeepLink?
    var screen: Screen?

    init(at: String?, view: ScreenName?, source: TraceSource, compare: Bool) throws {
        if let at {
            do {
                let l = try DeepLink.parse(at)
                try l.check(layers: source.header.model.layers, heads: source.header.model.heads, steps: source.stepCount)
                link = l
            } catch { throw CLIError("--at \(at)", error) }
        }
        if let view {
            guard view.screen != .compare || compare else { throw CLIError("--view \(view.name)", "the diff view needs two traces") }
            screen = view.screen
        }
    }

    func apply(to app: App) {
        if let link { app.apply(.jump(step: link.step, layer: link.layer, head: link.head)) }
        if let screen { app.apply(.show(screen)) }
    }
}

/// `--view NAME`: one of the viewer's screens by the name its key help uses.
struct ScreenName: ParsedArgument {
    var screen: Screen

    init(_ screen: Screen) { self.screen = screen }

    init(parsing text: String) throws {
        guard let s = Screen(name: text) else {
            throw ArgumentProblem("unknown view; expected " + Screen.names.map(\.0).joined(separator: ", "))
        }
        screen = s
    }

    var name: String { Screen.names.first { $0.1 == screen }?.0 ?? "\(screen)" }
    var defaultValueDescription: String { name }
}
