import Foundation

/// Files a command writes besides stdout (`--out`, `--junit`, `--report`): checked before the work
/// starts, so a path that cannot be written fails at once with exit 2, and written whole at the end.
enum OutputFile {
    /// Throws "<flag> <path>: ..." when the file could not be written: a directory, a file without
    /// write permission, or a missing or read-only directory. Leaves the file system as it is.
    static func check(_ path: String, flag: String) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw CLIError("\(flag) \(path)", "is a directory") }
            guard fm.isWritableFile(atPath: path) else { throw CLIError("\(flag) \(path)", "not writable") }
            return
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard fm.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("\(flag) \(path)", "no such directory: \(parent)")
        }
        guard fm.isWritableFile(atPath: parent) else { throw CLIError("\(flag) \(path)", "directory not writable: \(parent)") }
    }

    static func write(_ data: Data, to path: String, flag: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw CLIError("\(flag) \(path)", "cannot write (\(error.localizedDescription))")
        }
    }

    static func write(_ text: String, to path: String, flag: String) throws {
        try write(Data(text.utf8), to: path, flag: flag)
    }
}
