// `attnscope view FILE [FILE2]`: the ncurses viewer; two files open compare mode.

import AttnAnalysis
import AttnTUI
import ArgumentParser
import Foundation

struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Replay a trace as heatmaps, head tables and timelines (two traces: compare mode).",
        discussion: "Keys: 1–7 views, ? help, q back/quit, : jump, / filter, Space play. See docs/viewer.md.")

    @Argument(help: "Trace file (.atrace); a second file opens compare mode (B − A).")
    var files: [String]

    /// `--color`: a colour mode, or auto (from the environment and terminfo).
    enum ColorChoice: String, CaseIterable, ExpressibleByArgument {
        case auto, truecolor, cube256 = "256", ansi16 = "16", mono

        var forced: ColorMode? {
            switch self {
            case .auto: nil
            case .truecolor: .truecolor
            case .cube256: .cube256
            case .ansi16: .ansi16
            case .mono: .mono
            }
        }
    }

    @Option(help: "Colours: auto, truecolor, 256, 16 or mono (auto reads NO_COLOR, COLORTERM and terminfo).")
    var color = ColorChoice.auto

    @Flag(help: "Do not capture the mouse (lets the terminal select text).")
    var noMouse = false

    @Option(help: "Start at this step.")
    var step: Int?

    @Option(help: ArgumentHelp("Open at this place: L<layer>H<head>@<step>, L<layer>H<head>, L<layer> or @<step>.",
                               valueName: "L14H3@120"))
    var at: String?

    @Option(name: .customLong("view"), help: "Open this view: overview, heatmap, heads, timeline, tokens, info or diff.",
            transform: ScreenName.init(parsing:))
    var screen: ScreenName?

    @Flag(help: "Draw with ASCII characters only (the default when the locale is not UTF-8 or TERM is vt100-like).")
    var ascii = false

    @Flag(help: "Follow a trace that is still being written: new steps appear as they are recorded, the cursor on the newest.")
    var follow = false

    func run() throws {
        if follow {
            guard files.count == 1 else { throw CLIError("--follow", "follows one trace (got \(files.count))", usage: true) }
            try LiveView(options: self).run(path: files[0])
            return
        }
        guard (1...2).contains(files.count) else {
            throw CLIError(files.count == 0 ? "FILE" : files[2], "give one trace, or two to compare (got \(files.count))", usage: true)
        }
        var sources: [TraceSource] = []
        for f in files {
            guard FileManager.default.fileExists(atPath: f) else { throw CLIError(f, "no such file") }
            do { sources.append(try TraceReaderSource(path: f)) } catch { throw CLIError(f, error) }
        }
        guard sources[0].stepCount > 0 else { throw CLIError(files[0], "the trace holds no complete step") }
        let start = try ViewPlace(at: at, view: screen, source: sources[0], compare: sources.count == 2)
        if sources.count == 2 {
            let (a, b) = (sources[0].header.model, sources[1].header.model)
            if a.layers != b.layers || a.heads != b.heads {
                Stderr.line("attnscope view: warning: the traces differ in shape (\(a.layers)×\(a.heads) vs \(b.layers)×\(b.heads)); only heads in both are compared")
            }
        }
        let marks = try BookmarkOption.file(trace: files[0], header: sources[0].header)
        try requireTerminal(files[0])
        let app = App(trace: sources[0], other: sources.count > 1 ? sources[1] : nil)
        app.bookmarks = marks
        open(app, at: start)
    }

    func requireTerminal(_ file: String) throws {
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
            throw CLIError(file, "view needs a terminal (for scripts use `attnscope diff`, `stats` or the exports)")
        }
    }

    /// Sets the app up as the flags ask and runs the terminal viewer until the user quits.
    func open(_ app: App, at start: ViewPlace) {
        app.glyphs = ascii ? .ascii : GlyphSet.detect(environment: ProcessInfo.processInfo.environment)
        if let step { app.apply(.jump(step: step, layer: nil, head: nil)) }
        start.apply(to: app)
        if let live = app.live { live.following = app.state.step == app.trace.stepCount - 1 }
        let terminal = NCursesTerminal(forcedMode: color.forced, mouse: !noMouse)
        ViewerLoop.run(app: app, terminal: terminal)
    }
}
