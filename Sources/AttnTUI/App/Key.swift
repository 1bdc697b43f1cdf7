// Input events, independent of ncurses (the backend translates its key codes into these).

public enum MouseKind: Equatable, Sendable { case press, wheelUp, wheelDown }

public struct MouseEvent: Equatable, Sendable {
    public var x: Int, y: Int
    public var kind: MouseKind
    public init(x: Int, y: Int, kind: MouseKind) { self.x = x; self.y = y; self.kind = kind }
}

public enum Key: Hashable, Sendable {
    case char(Character)
    case ctrl(Character)          // Ctrl + letter, lower case
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, backspace, tab, backTab

    /// The name shown in the help overlay.
    public var label: String {
        switch self {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .ctrl(let c): return "Ctrl-\(c)"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Bksp"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        }
    }
}

/// Everything the main loop feeds the app.
public enum InputEvent: Equatable, Sendable {
    case key(Key)
    case mouse(MouseEvent)
    case resize(width: Int, height: Int)
    case tick   // a timeout with no input (drives replay)
}
