// Standard output and error for every command. A reader that closes the pipe early
// (`attnscope stats x | head`) must end the command quietly: SIGPIPE is ignored, and a write that
// fails with EPIPE ends the process at once with `Stdout.closedStatus` (0 unless the command has
// already decided otherwise, as `diff` does), instead of dying of the signal (status 141) or of
// a Foundation write that traps.

import Foundation

enum Stdout {
    /// The exit status when the reader has gone away.
    nonisolated(unsafe) static var closedStatus: Int32 = 0

    /// Called once at start-up, before anything is written.
    static func ignoreBrokenPipes() { signal(SIGPIPE, SIG_IGN) }

    static func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    static func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { write($0) } }

    static func line(_ text: String) { write(text + "\n") }

    /// Writes everything, retrying short writes; EPIPE ends the process (see above).
    static func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        fflush(nil)   // anything print() buffered goes first
        var off = 0
        while off < bytes.count {
            let n = Foundation.write(STDOUT_FILENO, base + off, bytes.count - off)
            if n > 0 { off += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EPIPE { exit(closedStatus) }
            return   // another write error: nothing sensible left to say it with
        }
    }
}

enum Stderr {
    /// Writes `text` plus a newline; errors (a closed stderr) are ignored.
    static func line(_ text: String) { write(text + "\n") }

    static func write(_ text: String) {
        var text = text
        text.withUTF8 { buf in
            guard let base = buf.baseAddress else { return }
            var off = 0
            while off < buf.count {
                let n = Foundation.write(STDERR_FILENO, base + off, buf.count - off)
                if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}

/// Buffered stdout for commands that print many lines.
struct LineOutput {
    private var buffer = ""

    mutating func line(_ s: String) {
        buffer += s
        buffer += "\n"
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        Stdout.write(buffer)
        buffer = ""
    }
}

/// Writes a line to stdout at once (unbuffered), so progress shows while a long run goes on.
func say(_ line: String) { Stdout.line(line) }
