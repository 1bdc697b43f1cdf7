// The one place that talks to ncurses. ncurses owns input (keys, mouse, resize) and the alternate
// screen; frames are painted by writing the grid's SGR bytes (AnsiEncoder) to the terminal
// ourselves. That gives truecolor without ncurses' limited colour pairs, and the same encoder that
// tests check is what the user sees. Before each paint we let ncurses flush anything it wants
// (e.g. the clear after a resize), so it never paints over our frame afterwards.

import CNCurses
import Foundation

public final class NCursesTerminal {
    public let colorMode: ColorMode
    public let mouse: Bool
    private var previous: CellGrid?
    private var started = false

    /// Starts curses. `forcedMode` overrides the detected colour mode (`--color`).
    public init(forcedMode: ColorMode?, mouse: Bool) {
        setlocale(LC_ALL, "")
        // Esc should act at once, not after ncurses' default one second.
        setenv("ESCDELAY", "25", 0)
        _ = initscr()
        started = true
        cbreak()
        noecho()
        nonl()
        keypad(attn_stdscr(), true)
        _ = curs_set(0)
        let env = ProcessInfo.processInfo.environment
        colorMode = forcedMode ?? ColorMode.detect(environment: env, terminfoColors: Int(attn_colors()))
        self.mouse = mouse && attn_enable_mouse() != 0
        refresh()
    }

    public var size: (width: Int, height: Int) { (Int(attn_cols()), Int(attn_lines())) }

    /// Paints `grid`, sending only the cells that changed since the last paint.
    public func paint(_ grid: CellGrid) {
        refresh()   // let ncurses flush first (after a resize it clears the screen)
        let bytes = AnsiEncoder(mode: colorMode).encode(grid, previous: previous)
        previous = grid
        bytes.withUnsafeBufferPointer { buf in
            var off = 0
            while off < buf.count {
                let n = write(STDOUT_FILENO, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }

    /// Forgets what is on screen, so the next paint redraws every cell.
    public func invalidate() { previous = nil }

    /// Waits for the next event; `timeoutMillis` < 0 waits forever, otherwise answers `.tick`.
    public func next(timeoutMillis: Int) -> InputEvent? {
        timeout(Int32(timeoutMillis))
        var ch: UInt32 = 0
        let r = attn_get_wch(&ch)
        if r == ERR { return .tick }
        if r == attn_key_code_yes() {
            let code = Int32(ch)
            switch code {
            case attn_key_resize():
                invalidate()
                let s = size
                return .resize(width: s.width, height: s.height)
            case attn_key_mouse():
                var x: Int32 = 0, y: Int32 = 0
                switch attn_get_mouse(&x, &y) {
                case 1: return .mouse(MouseEvent(x: Int(x), y: Int(y), kind: .press))
                case 2: return .mouse(MouseEvent(x: Int(x), y: Int(y), kind: .wheelUp))
                case 3: return .mouse(MouseEvent(x: Int(x), y: Int(y), kind: .wheelDown))
                default: return nil
                }
            case attn_key_up(): return .key(.up)
            case attn_key_down(): return .key(.down)
            case attn_key_left(): return .key(.left)
            case attn_key_right(): return .key(.right)
            case attn_key_npage(): return .key(.pageDown)
            case attn_key_ppage(): return .key(.pageUp)
            case attn_key_home(): return .key(.home)
            case attn_key_end(): return .key(.end)
            case attn_key_enter(): return .key(.enter)
            case attn_key_backspace(): return .key(.backspace)
            case attn_key_btab(): return .key(.backTab)
            default: return nil
            }
        }
        return NCursesTerminal.translate(character: ch)
    }

    /// A character from wget_wch as a Key (control codes become Ctrl/Enter/Esc/Tab/Backspace).
    static func translate(character ch: UInt32) -> InputEvent? {
        switch ch {
        case 27: return .key(.escape)
        case 13, 10: return .key(.enter)
        case 9: return .key(.tab)
        case 8, 127: return .key(.backspace)
        case 1...26: return .key(.ctrl(Character(Unicode.Scalar(ch + 96)!)))
        default:
            guard let s = Unicode.Scalar(ch) else { return nil }
            return .key(.char(Character(s)))
        }
    }

    /// Restores the terminal (safe to call twice).
    public func stop() {
        guard started else { return }
        started = false
        let reset = Array("\u{1B}[0m".utf8)
        _ = reset.withUnsafeBufferPointer { write(STDOUT_FILENO, $0.baseAddress!, $0.count) }
        endwin()
    }

    deinit { stop() }
}

/// Runs the viewer until the user quits: draw, wait for input, apply, repeat.
public enum ViewerLoop {
    public static func run(app: App, terminal: NCursesTerminal) {
        app.colorMode = terminal.colorMode
        app.frameBudget = 0.010   // keeps a redraw near 16 ms; the rest is read on the next frames
        let start = Date()
        var dirty = true
        while true {
            if dirty {
                let s = terminal.size
                terminal.paint(app.render(width: s.width, height: s.height))
                dirty = false
            }
            // after a frame that ran out of its budget, draw the next one at once (progressive)
            let wait = app.lastFrameIncomplete ? 0 : app.state.replay.playing ? 20 : app.live != nil ? 250 : -1
            guard let event = terminal.next(timeoutMillis: wait) else { continue }
            if case .mouse = event, !terminal.mouse { continue }
            let reaction = app.handle(event, now: Date().timeIntervalSince(start))
            if reaction.contains(.quit) { break }
            if reaction.contains(.redraw) { dirty = true }
        }
        terminal.stop()
    }
}
