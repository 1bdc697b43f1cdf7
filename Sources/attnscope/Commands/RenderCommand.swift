// `attnscope render FILE --view V --format svg|html --out F`: one view drawn without a terminal, from
// the viewer's own render code (the views draw into a CellGrid; GridPicture encodes the grid).

import AttnTUI
import AttnTrace
import ArgumentParser
import Foundation

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw one view of a trace as SVG, PNG or a self-contained HTML file (no terminal needed).",
        discussion: "The picture is the viewer's screen at --width × --height cells, with a title line. See docs/viewer.md.")

    @Argument(help: "Trace file (.atrace).") var file: String
    @Option(help: "overview, heatmap, heads, timeline, tokens or info.", transform: ScreenName.init(parsing:))
    var view = ScreenName(.overview)
    @Option(help: "Layer to show.") var layer: Int?
    @Option(help: "Head to show.") var head: Int?
    @Option(help: "Step to show.") var step: Int?
    @Option(help: ArgumentHelp("Place as in view --at (instead of --layer/--head/--step).", valueName: "L14H3@120"))
    var at: String?
    @Option(help: "Place of a bookmark (a name from the trace's .marks file).") var bookmark: String?
    enum Format: String, CaseIterable, ExpressibleByArgument { case svg, html, png }

    @Option(help: "svg, html or png (default: from the --out extension).") var format: Format?
    @Option(help: "Output file.") var out: String
    @Option(help: "Width in cells (40–1000).") var width = 120
    @Option(help: "Height in cells (12–500).") var height = 40

    func run() throws {
        guard let chosen = format ?? Format(rawValue: URL(fileURLWithPath: out).pathExtension.lowercased()) else {
            throw CLIError("--out \(out)", "cannot tell the format from the extension; give --format svg, html or png")
        }
        guard (40...1000).contains(width) else { throw CLIError("--width \(width)", "expected 40 to 1000 cells") }
        guard (12...500).contains(height) else { throw CLIError("--height \(height)", "expected 12 to 500 cells") }
        guard FileManager.default.fileExists(atPath: file) else { throw CLIError(file, "no such file") }
        let source: TraceReaderSource
        do { source = try TraceReaderSource(path: file) } catch { throw CLIError(file, error) }
        guard source.stepCount > 0 else { throw CLIError(file, "the trace holds no complete step") }
        var place = try ViewPlace(at: at, view: view, source: source, compare: false)
        if layer != nil || head != nil || step != nil {
            if let at { throw CLIError("--at \(at)", "give either --at or --layer/--head/--step") }
            let m = source.header.model
            for (flag, v, limit, noun) in [("--layer", layer, m.layers, "layers"), ("--head", head, m.heads, "heads"),
                                           ("--step", step, source.stepCount, "steps")] {
                guard let v else { continue }
                guard v >= 0, v < limit else {
                    throw CLIError("\(flag) \(v)", "out of range (the trace has \(limit) \(noun), 0–\(limit - 1))")
                }
            }
            place.link = DeepLink(layer: layer, head: head, step: step)
        }
        if let bookmark {
            if at != nil || layer != nil || head != nil || step != nil {
                throw CLIError("--bookmark \(bookmark)", "give either --bookmark or --at / --layer / --head / --step")
            }
            let b = try BookmarkOption.find(bookmark, trace: file, header: source.header, steps: source.stepCount)
            place.link = DeepLink(layer: b.layer, head: b.head, step: b.step)
        }
        try OutputFile.check(out, flag: "--out")

        let app = App(trace: source)
        app.glyphs = .unicode
        place.apply(to: app)
        let grid = app.render(width: width, height: height)
        let st = app.state
        let title = "attnscope \(st.screen.title) · \((file as NSString).lastPathComponent) · L\(st.layer) H\(st.head) step \(st.step)"
        let picture = GridPicture(title: title)
        switch chosen {
        case .svg: try OutputFile.write(picture.svg(grid), to: out, flag: "--out")
        case .html: try OutputFile.write(picture.html(grid), to: out, flag: "--out")
        case .png: try OutputFile.write(Data(picture.png(grid)), to: out, flag: "--out")
        }
    }
}
