import AttnAnalysis
import AttnTUI
import AttnTrace

/// Where `view` and `render` start: `--at L14H3@120` and `--view heatmap`, checked against the
/// trace before any terminal or file is touched (a bad form or an out-of-range place exits 2).
struct ViewPlace {
    var link: DeepLink?
    var screen: Screen?

    init(at: String?, view: String?, source: TraceSource, compare: Bool, flag: String = "--view") throws {
        if let at {
            do {
                let l = try DeepLink.parse(at)
                try l.check(layers: source.header.model.layers, heads: source.header.model.heads, steps: source.stepCount)
                link = l
            } catch { throw CLIError("--at \(at)", error) }
        }
        if let view {
            guard let s = Screen(name: view) else {
                throw CLIError("\(flag) \(view)", "unknown view; expected " + Screen.names.map(\.0).joined(separator: ", "))
            }
            guard s != .compare || compare else { throw CLIError("\(flag) \(view)", "the diff view needs two traces") }
            screen = s
        }
    }

    func apply(to app: App) {
        if let link { app.apply(.jump(step: link.step, layer: link.layer, head: link.head)) }
        if let screen { app.apply(.show(screen)) }
    }
}
