#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rebuilds the step index of a file without a usable footer: walks the chunks from the first one,
/// checks each CRC, and after damage searches for the next sync marker and goes on from there.
struct RecoveryScan {
    var offsets: [Int] = []
    /// End of the last good chunk before the first problem (the file is intact up to here).
    var validBytes: Int
    var reason = ""
    /// A footer chunk was found (the trailer after it must have been unusable).
    var sawFooter = false
    /// Where a later scan of the same, grown file can start (nil when chunks were recovered past
    /// damage or a footer was seen: then only a full scan is right).
    var resumeAt: Int?

    /// `release` is called with ranges already scanned, so that the map's pages can be dropped as the
    /// scan goes (RSS stays flat over a large file).
    /// `resume` continues an earlier scan of the same file: its offsets and where it stopped.
    static func run(_ b: UnsafeRawBufferPointer, path: String, chunksStart: Int,
                    resume: (offsets: [Int], at: Int)? = nil,
                    release: (Range<Int>) -> Void = { _ in }) -> RecoveryScan {
        var scan = RecoveryScan(validBytes: resume?.at ?? chunksStart)
        scan.offsets = resume?.offsets ?? []
        var at = resume?.at ?? chunksStart
        var released = 0
        defer { release(released..<b.count) }
        var firstProblem: TraceError?
        var skippedRegions = 0
        var chunksAfterDamage = 0
        while at < b.count {
            do {
                let chunk = try ChunkHeader.read(b, at: at, path: path)
                try chunk.verify(b, path: path)
                if chunk.step == Format.footerStep {
                    scan.sawFooter = true
                    if firstProblem == nil { scan.validBytes = chunk.end }
                    // What follows a footer is its trailer: nothing more to scan.
                    let rest = b.count - chunk.end
                    if firstProblem == nil {
                        firstProblem = TraceError(path: path, offset: chunk.end,
                                                  .badTrailer("footer found but \(rest) trailer bytes are unusable"))
                    }
                    break
                }
                scan.offsets.append(at)
                if firstProblem == nil { scan.validBytes = chunk.end } else { chunksAfterDamage += 1 }
                at = chunk.end
                if at - released >= 64 << 20 { release(released..<at); released = at }
            } catch let e as TraceError {
                if firstProblem == nil { firstProblem = e }
                // Resynchronise: the next sync marker after this offset, if any.
                guard let next = nextSync(b, after: at) else { break }
                skippedRegions += 1
                at = next
            } catch {
                break
            }
        }
        if chunksAfterDamage == 0 && !scan.sawFooter { scan.resumeAt = scan.validBytes }
        if let p = firstProblem {
            scan.reason = "file intact up to byte \(scan.validBytes) of \(b.count); \(p.description)"
            if chunksAfterDamage > 0 {
                scan.reason += "; \(chunksAfterDamage) later chunks recovered after \(skippedRegions) damaged region(s)"
            }
        } else {
            scan.reason = "no footer (the writer did not finish); all \(scan.offsets.count) chunks intact"
        }
        return scan
    }

    /// Offset of the first sync marker that starts after `offset`, or nil. (memchr for the first
    /// byte, then a compare: memmem is a GNU extension that Glibc's Swift module does not export.)
    static func nextSync(_ b: UnsafeRawBufferPointer, after offset: Int) -> Int? {
        guard let base = b.baseAddress else { return nil }
        let n = Format.sync.count
        var from = offset + 1
        while from + n <= b.count {
            guard let hit = memchr(base + from, Int32(Format.sync[0]), b.count - n + 1 - from) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            var match = true
            for i in 1..<n where b[at + i] != Format.sync[i] { match = false; break }
            if match { return at }
            from = at + 1
        }
        return nil
    }
}
