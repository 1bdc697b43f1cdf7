// A tmux server of its own (a private socket) for tests that drive the viewer in a real terminal:
// start a session running a command, send keys, read the pane back, wait for text.

import Foundation
import XCTest

public final class TmuxSession {
    public let socket: String
    public let name: String
    /// How long to wait for text before failing: a busy shared machine is slow, which is no failure.
    public var patience: TimeInterval = 60

    public init(socket: String = "attnscope-test-\(getpid())", name: String = "view") {
        self.socket = socket; self.name = name
    }

    public static var path: String? {
        ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a command and returns its status and output (through a file). posix_spawn + waitpid
    /// rather than Foundation.Process: `tmux new-session` starts a server that inherits the client's
    /// descriptors and never closes them, and Process would wait for those to close.
    @discardableResult
    public static func run(_ exe: String, _ args: [String]) throws -> (status: Int32, out: String) {
        let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-tmux-out-\(getpid())-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([exe] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, environ)
        guard rc == 0 else { throw NSError(domain: "spawn", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot run \(exe)"]) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let code: Int32 = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let data = FileManager.default.contents(atPath: outPath) ?? Data()
        return (code, String(decoding: data, as: UTF8.self))
    }

    @discardableResult
    public func tmux(_ args: [String]) throws -> (status: Int32, out: String) {
        guard let tmux = Self.path else { throw NSError(domain: "tmux", code: 1, userInfo: [NSLocalizedDescriptionKey: "tmux is not installed"]) }
        return try Self.run(tmux, ["-L", socket] + args)
    }

    /// Starts the session at `width` × `height` running `command` (a shell command line).
    public func start(_ command: String, width: Int = 120, height: Int = 40) throws -> Bool {
        try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", command]).status == 0
    }

    public func capture() throws -> String { try tmux(["capture-pane", "-p", "-t", name]).out }
    public func keys(_ k: String...) throws { try tmux(["send-keys", "-t", name] + k) }
    public var isRunning: Bool { (try? tmux(["has-session", "-t", name]).status == 0) ?? false }
    public func killServer() { _ = try? tmux(["kill-server"]) }

    /// Polls until `condition` holds (at most `patience`); returns whether it did.
    public func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(patience)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return false
    }

    /// Polls the pane until `text` shows; returns the last capture (a failure when it never did).
    @discardableResult
    public func waitFor(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var last = ""
        if try eventually({ last = try capture(); return last.contains(text) }) { return last }
        XCTFail("\(what): \"\(text)\" never appeared; screen was:\n\(last)", file: file, line: line)
        return last
    }
}
