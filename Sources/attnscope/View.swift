// `attnscope view FILE [FILE2]`: the ncurses viewer; two files open compare mode.

import AttnTUI
import ArgumentParser
import Foundation

struct View: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a trace as heatmaps, head tables and timelines (two traces: compare mode).",
        discussion: "Keys: 1–7 views, ? help, q back/quit, : jump, / filter, Space play. See docs/viewer.md.")

    @Argument(help: "Trace file (.atrace); a second file opens compare mode (B − A).")
    var files: [String]

    @Option(help: "Colours: auto, truecolor, 256, 16 or mono (auto reads NO_COLOR, COLORTERM and terminfo).")
    var color: String = "auto"

    @Flag(help: "Do not capture the mouse (lets the terminal select text).")
    var noMouse = false

    @Option(help: "Start at this step.")
    var step: Int?

    func validate() throws {
        guard (1...2).contains(files.count) else { throw usageError("give one trace, or two to compare (got \(files.count))") }
        guard ["auto", "truecolor", "256", "16", "mono"].contains(color) else {
            throw usageError("--color: expected auto, truecolor, 256, 16 or mono, got '\(color)'")
        }
    }

    func run() throws {
        var sources: [TraceSource] = []
        for f in files {
            guard FileManager.default.fileExists(atPath: f) else { throw exitError("\(f): no such file") }
            do { sources.append(try TraceReaderSource(path: f)) } catch { throw exitError("\(f): \(error)") }
        }
        guard sources[0].stepCount > 0 else { throw exitError("\(files[0]): the trace holds no complete step") }
        if sources.count == 2 {
            let (a, b) = (sources[0].header.model, sources[1].header.model)
            if a.layers != b.layers || a.heads != b.heads {
                FileHandle.standardError.write(Data("view: warning: the traces differ in shape (\(a.layers)×\(a.heads) vs \(b.layers)×\(b.heads)); only heads in both are compared\n".utf8))
            }
        }
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
            throw exitError("view needs a terminal (for scripts use `attnscope diff` or the exports)")
        }
        let forced: ColorMode?
        switch color {
        case "truecolor": forced = .truecolor
        case "256": forced = .cube256
        case "16": forced = .ansi16
        case "mono": forced = .mono
        default: forced = nil
        }
        let app = App(trace: sources[0], other: sources.count > 1 ? sources[1] : nil)
        if let step { app.apply(.jump(step: step, layer: nil, head: nil)) }
        let terminal = NCursesTerminal(forcedMode: forced, mouse: !noMouse)
        ViewerLoop.run(app: app, terminal: terminal)
    }

    private func exitError(_ message: String) -> Error {
        FileHandle.standardError.write(Data("attnscope view: \(message)\n".utf8))
        return ExitCode(2)
    }

    /// Bad flags or arguments: a message naming the problem on stderr, exit status 2.
    private func usageError(_ message: String) -> Error {
        FileHandle.standardError.write(Data("attnscope view: \(message)\n".utf8))
        return ExitCode(2)
    }
}
