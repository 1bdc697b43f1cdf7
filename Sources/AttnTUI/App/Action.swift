// What a key, a click or a timer asks the app to do (htop's Htop_Action), and what must happen
// afterwards (htop's Htop_Reaction flags).

public enum Action: Equatable, Sendable {
    // navigation between views
    case show(Screen), nextScreen, previousScreen, toggleHelp, back, backOrQuit, quit
    // the shared cursor
    case stepBy(Int), firstStep, lastStep, layerBy(Int), headBy(Int)
    case jump(step: Int?, layer: Int?, head: Int?)
    case select(layer: Int, head: Int), selectRow(Int), selectStep(Int)
    // movement inside the current view (arrows / hjkl / pages); meaning depends on the view
    case move(dx: Int, dy: Int), pageDown, pageUp, top, bottom, activate
    // view options
    case cycleMetric(Int), cycleHeatmapMode, zoomIn, zoomOut, fit, toggleScale, cyclePalette
    case sortNext, sortPrevious, sortReverse, toggleStackedKV, toggleAverageHeads, toggleDiff, toggleExcludePrefill
    // replay
    case playPause, faster, slower
    // prompts
    case startFilter, startCommand, promptInput(Character), promptBackspace, promptSubmit, promptCancel
    // bookmarks and text search (App+Marks)
    case mark, listMarks, startSearch, searchNext, searchPrevious
    // the key position of the α_k curve (App+Curve)
    case keyBy(Int), chooseKey(Int)
    case none
}

public struct Reaction: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let redraw = Reaction(rawValue: 1)
    public static let quit = Reaction(rawValue: 2)
}
