// `record ... --view`: the recording runs as a child process (this binary without --view) while the
// viewer follows its file. The child has its own process group, so Ctrl-C in the viewer's terminal
// does not reach it; quitting the viewer stops it with SIGINT (it finishes the step and the file).
// Its output is kept in temporary files and printed once the viewer has left the screen.

import ArgumentParser
import Foundation

final class RecordingChild {
    let pid: pid_t
    /// When the child was started, in whole Unix seconds (a trace it writes is created no earlier).
    let startedUnixSeconds: Int64
    private let outPath: String, errPath: String
    private var status: Int32?

    init(arguments: [String]) throws {
        startedUnixSeconds = Int64(Date().timeIntervalSince1970)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-record-\(getpid())").path
        outPath = base + ".out"; errPath = base + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
        let exe = "/proc/self/exe"
        let argv = (["attnscope"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var p: pid_t = 0
        let rc = posix_spawn(&p, exe, &actions, &attr, argv, environ)
        guard rc == 0 else { throw CLIError("--view", "cannot start the recording (\(String(cString: strerror(rc))))") }
        pid = p
    }

    /// nil while the child runs; afterwards how it ended ("exit 0", "killed by signal 9").
    func endedDescription() -> String? {
        if status == nil {
            var s: Int32 = 0
            if waitpid(pid, &s, WNOHANG) == pid { status = s }
        }
        guard let s = status else { return nil }
        return (s & 0x7f) == 0 ? "exit \((s >> 8) & 0xff)" : "killed by signal \(s & 0x7f)"
    }

    /// The exit status to pass on (128 + signal for a signal).
    var exitStatus: Int32 {
        guard let s = status else { return 0 }
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
    }

    /// Asks a running child to stop (SIGINT: it finishes the current step and the file) and waits.
    func stop() {
        if endedDescription() == nil { kill(pid, SIGINT) }
        while status == nil {
            var s: Int32 = 0
            let r = waitpid(pid, &s, 0)
            if r == pid { status = s } else if r == -1 && errno != EINTR { status = 0 }
        }
    }

    /// Prints what the child wrote (its summary on stdout, any error on stderr) and removes the files.
    func relayOutput() {
        if let d = FileManager.default.contents(atPath: outPath), !d.isEmpty { Stdout.write(String(decoding: d, as: UTF8.self)) }
        if let d = FileManager.default.contents(atPath: errPath), !d.isEmpty { Stderr.write(String(decoding: d, as: UTF8.self)) }
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }

    /// The child ended before its file held a step: its own message, then its status.
    func failAndExit() -> Never {
        stop()
        relayOutput()
        exit(exitStatus == 0 ? 2 : exitStatus)
    }
}

extension RecordCommand {
    /// `record ... --view`: records in a child process and follows its file in the viewer.
    func recordWithViewer() throws {
        let viewer = try ViewCommand.parse([out])
        try viewer.requireTerminal(out)
        let args = CommandLine.arguments.dropFirst().filter { $0 != "--view" }
        let child = try RecordingChild(arguments: Array(args))
        do {
            try LiveView(options: viewer).run(path: out, writer: child)
        } catch {
            child.stop(); child.relayOutput()
            throw error
        }
        child.stop()
        child.relayOutput()
        if child.exitStatus != 0 { throw ExitCode(child.exitStatus) }
    }
}
