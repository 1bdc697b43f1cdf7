import ArgumentParser
import Foundation

/// Bad input from the user (a file that is not a trace, a flag out of range): the message goes to
/// stderr as "attnscope: MESSAGE" and the process exits with status 2.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ParsableCommand {
    /// Runs `body`, turning a CLIError or any other error (e.g. TraceError) into a message and exit 2.
    func exitingOnError(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ExitCode {
            throw e
        } catch {
            FileHandle.standardError.write(Data("attnscope: \(error)\n".utf8))
            throw ExitCode(2)
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
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}
