// The controller: turns input events into actions, actions into state changes, and draws a frame.
// It owns no terminal; Terminal/ feeds it events and paints what `render` returns.

import AttnAnalysis
import AttnTrace

/// A screen region and the action a mouse press there triggers.
public struct HitRegion: Equatable, Sendable {
    public var rect: Rect
    public var action: Action
}

/// Filled while a frame renders: clickable regions and the geometry zoom/pan need.
public final class RenderFeedback {
    public var hits: [HitRegion] = []
    /// Heatmap cells (columns, half-rows) and data size (keys, queries or steps) of the last frame.
    public var heatmapCells = (cols: 80, rows: 40)
    public var heatmapData = (cols: 1, rows: 1)
    /// Rows the head table could show in the last frame.
    public var tableRows = 20
    public init() {}
    public func hit(_ rect: Rect, _ action: Action) { hits.append(HitRegion(rect: rect, action: action)) }
}

public final class App {
    public var state = AppState()
    public let trace: TraceModel
    /// The second trace in compare mode.
    public let other: TraceModel?
    public var colorMode: ColorMode
    /// ASCII on terminals that cannot show Unicode (`GlyphSet.detect`, `view --ascii`).
    public var glyphs: GlyphSet = .unicode
    /// Derives a head's class from its metrics (AttnAnalysis classifier), when available.
    public var classify: ((HeadMetrics) -> String?)?
    public private(set) var feedback = RenderFeedback()
    /// The trace's bookmarks and their sidecar file (nil: a trace without a file, or not loaded).
    public var bookmarks: BookmarkFile?
    /// Follow mode: the trace is a file still being written (`view --follow`, `record --view`).
    public var live: LiveFollow?

    public init(trace: TraceSource, other: TraceSource? = nil, colorMode: ColorMode = .truecolor) {
        self.trace = TraceModel(trace)
        self.other = other.map(TraceModel.init)
        self.colorMode = colorMode
        classify = App.stepClassifier(HeadClassifier())
    }

    /// The AttnAnalysis head classifier applied to one step's metrics: the "means over the run" it
    /// expects are taken at the current step (sink mass and entropy of this step; `topSinks` are
    /// already running means), so the class needs no pass over the file and follows replay.
    public static func stepClassifier(_ c: HeadClassifier) -> (HeadMetrics) -> String? {
        { m in
            var top: Float = 0
            for s in m.topSinks where s.position >= HeadClassifier.initialPositions && s.score > top { top = s.score }
            return c.classify(HeadProfile(meanSinkMass4: m.sinkMass4, meanEntropy: m.entropy, topNonInitialSink: top)).rawValue
        }
    }

    public var palette: Palette { Palette.sequential[state.paletteIndex % Palette.sequential.count] }
    public var isCompare: Bool { other != nil }
    public var screens: [Screen] { Screen.allCases.filter { $0 != .compare || isCompare } }

    // MARK: - Events → actions

    /// Translates an event and applies it. `now` is seconds on a monotonic clock (for replay).
    @discardableResult
    public func handle(_ event: InputEvent, now: Double = 0) -> Reaction {
        let stepBefore = state.step
        var reaction: Reaction
        switch event {
        case .resize: reaction = .redraw
        case .tick:
            let n = state.replay.advance(now: now)
            if n > 0 {
                let last = trace.stepCount - 1
                state.step = min(last, state.step + n)
                if state.step == last { state.replay.pause() }
                reaction = .redraw
            } else {
                reaction = lastFrameIncomplete ? .redraw : []
            }
        case .mouse(let m): reaction = apply(action(for: m), now: now)
        case .key(let key): reaction = apply(action(for: key), now: now)
        }
        noteCursor(stepBefore: stepBefore)
        if !reaction.contains(.quit) { reaction.formUnion(pollLive(now: now)) }
        return reaction
    }

    public func action(for key: Key) -> Action {
        if let a = bookmarkListAction(for: key) { return a }
        if case .prompt = state.overlay {
            switch key {
            case .enter: return .promptSubmit
            case .escape: return .promptCancel
            case .backspace: return .promptBackspace
            case .char(let c): return .promptInput(c)
            default: return .none
            }
        }
        return KeyBindings.action(for: key, in: state.screen) ?? .none
    }

    public func action(for mouse: MouseEvent) -> Action {
        switch mouse.kind {
        case .wheelUp: return state.screen == .heads || state.screen == .compare ? .move(dx: 0, dy: -3) : .stepBy(-1)
        case .wheelDown: return state.screen == .heads || state.screen == .compare ? .move(dx: 0, dy: 3) : .stepBy(1)
        case .press:
            if state.overlay == .help { return .toggleHelp }
            // the last region registered is drawn on top
            return feedback.hits.last(where: { $0.rect.contains(x: mouse.x, y: mouse.y) })?.action ?? .none
        }
    }

    // MARK: - Actions → state

    func setStep(_ s: Int) { state.step = trace.clampStep(s) }
    func setLayer(_ l: Int) { state.layer = max(0, min(trace.layers - 1, l)) }
    func setHead(_ h: Int) { state.head = max(0, min(trace.heads - 1, h)) }

    /// Switches to a top-level view: no history grows, so `q` quits from there at once.
    func show(_ s: Screen) {
        guard s != .compare || isCompare else { return }
        state.history.removeAll()
        state.screen = s
    }

    /// Opens `s` one level below the current view (Esc or `q` comes back here).
    func drill(into s: Screen) {
        guard s != state.screen else { return }
        state.history.append(state.screen)
        state.screen = s
    }

    /// Closes the overlay or leaves the drilled-in view; false when there is nothing to leave.
    private func goBack() -> Bool {
        if state.overlay != .none { state.overlay = .none; return true }
        if let prev = state.history.popLast() { state.screen = prev; return true }
        return false
    }

    @discardableResult
    public func apply(_ action: Action, now: Double = 0) -> Reaction {
        state.message = nil
        if let r = applyMarks(action) ?? applyCurve(action) { return r }
        switch action {
        case .mark, .listMarks, .startSearch, .searchNext, .searchPrevious, .keyBy, .chooseKey: break   // App+Marks, App+Curve
        case .none: return []
        case .quit: return .quit
        case .back:
            if !goBack() { state.message = "Top-level view: q quits" }
        case .backOrQuit:
            if !goBack() { return .quit }
        case .show(let s):
            if s == .compare && !isCompare { state.message = "Diff view needs two traces: attnscope view A B" }
            show(s)
        case .nextScreen, .previousScreen:
            let list = screens
            let i = list.firstIndex(of: state.screen) ?? 0
            let d = action == .nextScreen ? 1 : list.count - 1
            show(list[(i + d) % list.count])
        case .toggleHelp:
            state.overlay = state.overlay == .help ? .none : .help
            state.helpScroll = 0
        case .move(_, let dy) where state.overlay == .help: state.helpScroll = max(0, state.helpScroll + dy)
        case .pageDown where state.overlay == .help: state.helpScroll += 10
        case .pageUp where state.overlay == .help: state.helpScroll = max(0, state.helpScroll - 10)
        case .stepBy(let d): setStep(state.step + d)
        case .firstStep: setStep(0)
        case .lastStep: setStep(trace.stepCount - 1)
        case .layerBy(let d): setLayer(state.layer + d)
        case .headBy(let d): setHead(state.head + d)
        case .jump(let s, let l, let h):
            if let s { setStep(s) }
            if let l { setLayer(l) }
            if let h { setHead(h) }
        case .select(let l, let h): setLayer(l); setHead(h)
        case .selectRow(let i):
            let rows = listOrder()
            if i >= 0, i < rows.count { setLayer(rows[i].layer); setHead(rows[i].head) }
        case .selectStep(let s): setStep(s)
        case .move(let dx, let dy): move(dx: dx, dy: dy)
        case .pageDown: page(1)
        case .pageUp: page(-1)
        case .top: if state.screen == .heads || state.screen == .compare { selectTableIndex(0) } else { setStep(0) }
        case .bottom:
            if state.screen == .heads || state.screen == .compare { selectTableIndex(Int.max) } else { setStep(trace.stepCount - 1) }
        case .activate: drill(into: .heatmap)
        case .cycleMetric(let d):
            let all = Metric.overview
            let i = all.firstIndex(of: state.metric) ?? 0
            state.metric = all[(i + d + all.count) % all.count]
        case .cycleHeatmapMode:
            let all = HeatmapMode.allCases
            state.heatmap.mode = all[(state.heatmap.mode.rawValue + 1) % all.count]
        case .zoomIn, .zoomOut:
            let f = action == .zoomIn ? 0.5 : 2.0
            let m = state.heatmap.mode, c = feedback.heatmapCells, d = feedback.heatmapData
            state.heatmap.x[m, default: AxisView()].zoom(by: f, length: d.cols, cells: c.cols)
            state.heatmap.y[m, default: AxisView()].zoom(by: f, length: d.rows, cells: c.rows)
        case .fit:
            let m = state.heatmap.mode
            state.heatmap.x[m, default: AxisView()].fit()
            state.heatmap.y[m, default: AxisView()].fit()
        case .toggleScale where state.screen == .timeline: state.timelineLog.toggle()
        case .toggleScale: state.heatmap.scale = state.heatmap.scale == .log ? .linear : .log
        case .toggleExcludePrefill: state.timelineExcludePrefill.toggle()
        case .cyclePalette: state.paletteIndex += 1
        case .sortNext, .sortPrevious:
            let all = HeadColumn.allCases.filter { $0 != .headClass || classify != nil }
            let i = all.firstIndex(of: state.table.sortColumn) ?? 0
            let d = action == .sortNext ? 1 : all.count - 1
            state.table.sortColumn = all[(i + d) % all.count]
        case .sortReverse: state.table.descending.toggle()
        case .toggleStackedKV: state.kvStacked.toggle()
        case .toggleAverageHeads: state.averageHeads.toggle()
        case .toggleDiff:
            if isCompare { state.showDifference.toggle() } else { state.message = "Not in compare mode (open two traces)" }
        case .playPause:
            if !state.replay.playing, state.step >= trace.stepCount - 1 { setStep(0) }
            state.replay.toggle(now: now)
        case .faster: state.replay.faster()
        case .slower: state.replay.slower()
        case .startFilter:
            state.overlay = .prompt(.filter, state.table.filter)
            if state.screen != .heads && state.screen != .compare { show(.heads) }
        case .startCommand: state.overlay = .prompt(.command, "")
        case .promptInput(let c):
            if case .prompt(let k, let t) = state.overlay {
                state.overlay = .prompt(k, t + String(c))
                if k == .filter { state.table.filter = t + String(c) }
            }
        case .promptBackspace:
            if case .prompt(let k, var t) = state.overlay, !t.isEmpty {
                t.removeLast(); state.overlay = .prompt(k, t)
                if k == .filter { state.table.filter = t }
            }
        case .promptSubmit:
            if case .prompt(let k, let t) = state.overlay {
                state.overlay = .none
                if k == .command {
                    if let cmd = JumpCommand.parse(t) { return apply(.jump(step: cmd.step, layer: cmd.layer, head: cmd.head)) }
                    state.message = "Not a jump: \"\(t)\" (try 120, s 120, l 3, h 5, L3H5, L3H5@120)"
                }
            }
        case .promptCancel:
            if case .prompt(let k, _) = state.overlay, k == .filter { state.table.filter = "" }
            state.overlay = .none
        }
        return .redraw
    }

    private func move(dx: Int, dy: Int) {
        switch state.screen {
        case .overview: setLayer(state.layer + dy); setHead(state.head + dx)
        case .heads, .compare:
            if dy != 0 { moveTable(by: dy) }
        case .heatmap:
            let m = state.heatmap.mode, c = feedback.heatmapCells, d = feedback.heatmapData
            if dx != 0 { state.heatmap.x[m, default: AxisView()].pan(cells: dx * max(1, c.cols / 8), length: d.cols, cells: c.cols) }
            if dy != 0 {
                if m == .prefill {
                    state.heatmap.y[m, default: AxisView()].pan(cells: dy * max(1, c.rows / 8), length: d.rows, cells: c.rows)
                } else {
                    setStep(state.step + dy)   // key × step views follow the step
                }
            }
        case .timeline, .tokens: if dx != 0 { setStep(state.step + dx) } else { setStep(state.step + dy) }
        case .runInfo: break
        }
    }

    private func page(_ sign: Int) {
        switch state.screen {
        case .heads, .compare: moveTable(by: sign * max(1, feedback.tableRows / 2))
        case .heatmap where state.heatmap.mode == .prefill:
            let c = feedback.heatmapCells, d = feedback.heatmapData
            state.heatmap.y[.prefill, default: AxisView()].pan(cells: sign * max(1, c.rows / 2), length: d.rows, cells: c.rows)
        default: setStep(state.step + sign * 10)
        }
    }

    // MARK: - Head table helpers

    /// The (layer, head) order of the list on screen: the head table's, or the diff list's.
    func listOrder() -> [(layer: Int, head: Int)] {
        if state.screen == .compare, let other {
            return DiffRow.rows(a: trace, b: other, step: state.step).map { ($0.layer, $0.head) }
        }
        return tableRows().map { ($0.layer, $0.head) }
    }

    /// The head table's rows at the current step, sorted and filtered as the user asked.
    public func tableRows() -> [HeadRow] {
        let context = trace.context(step: state.step)
        let rows = trace.metrics(step: state.step).map { m in
            HeadRow(metrics: m, kvBytes: trace.kvBytes(step: state.step, layer: m.layer, head: m.head),
                    headClass: classify?(m), context: context)
        }
        return state.table.apply(rows)
    }

    func tableIndex(in rows: [(layer: Int, head: Int)]) -> Int? {
        rows.firstIndex { $0.layer == state.layer && $0.head == state.head }
    }

    func selectTableIndex(_ i: Int) {
        let rows = listOrder()
        guard !rows.isEmpty else { return }
        let j = max(0, min(rows.count - 1, i))
        setLayer(rows[j].layer); setHead(rows[j].head)
    }

    func moveTable(by d: Int) {
        let rows = listOrder()
        guard !rows.isEmpty else { return }
        guard let i = tableIndex(in: rows) else { selectTableIndex(0); return }
        selectTableIndex(i + d)
    }

    // MARK: - Drawing

    /// Time a frame may spend reading the trace (nil: no limit). Data not read in time is drawn
    /// blank and read on the next frame, which the loop asks for at once (`lastFrameIncomplete`).
    public var frameBudget: Double?
    /// True when the last frame left data unread because of `frameBudget`.
    public private(set) var lastFrameIncomplete = false

    /// Draws the whole screen for the current state.
    public func render(width: Int, height: Int) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        feedback = RenderFeedback()
        let models = [trace] + (other.map { [$0] } ?? [])
        let deadline = frameBudget.map { monotonicSeconds() + $0 }
        for m in models { m.deadline = deadline; m.incomplete = false }
        let ctx = ViewContext(app: self)
        Chrome.render(ctx, into: &grid)
        if glyphs == .ascii { grid.transliterateToASCII() }
        lastFrameIncomplete = models.contains { $0.incomplete }
        for m in models { m.deadline = nil }
        return grid
    }
}
