// Whole-file questions: how the bytes split by record kind, and a full check of every chunk.

extension TraceReader {
    /// Bytes per record kind over the whole file (record tag and length included), plus the
    /// framing: file header, chunk headers, footer and trailer. Reads every chunk (checks CRCs).
    /// Kinds in a fixed order; unknown kinds as "unknown(TAG)".
    public func sizeByRecordKind() -> [(kind: String, bytes: Int)] {
        var totals: [UInt64: Int] = [:]
        var framing = chunksStart   // the file header
        var unreadable = 0
        var released = 0
        defer { file.releasePages(0..<fileSize) }
        for step in 0..<stepCount {
            releaseBehind(step, &released)
            framing += Format.chunkHeaderSize
            do {
                let d = try directory(step)
                for s in d.sizes { totals[s.tag, default: 0] += s.bytes }
            } catch {
                if let c = try? ChunkHeader.read(file.bytes, at: chunkOffsets[step], path: path) {
                    unreadable += c.length
                }
            }
        }
        var out: [(kind: String, bytes: Int)] = [("file header", chunksStart), ("chunk headers", framing - chunksStart)]
        for k in RecordKind.allCases where k != .runHeader && k != .index && k != .summary {
            out.append((k.name, totals[k.rawValue] ?? 0))
        }
        for (tag, n) in totals.sorted(by: { $0.key < $1.key }) where RecordKind(rawValue: tag) == nil {
            out.append(("unknown(\(tag))", n))
        }
        let counted = out.reduce(0) { $0 + $1.bytes } + unreadable
        let end = stepCount > 0 ? (try? ChunkHeader.read(file.bytes, at: chunkOffsets[stepCount - 1], path: path).end) ?? chunksStart : chunksStart
        if unreadable > 0 { out.append(("unreadable chunks", unreadable)) }
        if status.isFinalized {
            out.append(("footer + trailer", fileSize - end))
        } else if fileSize > counted {
            out.append(("unrecovered", fileSize - counted))
        }
        return out
    }

    /// Checks every step chunk's sync marker, bounds, CRC and record framing (no decoding);
    /// returns the problems found, one per damaged step, as (step, error).
    public func damagedSteps() -> [(step: Int, error: TraceError)] {
        var out: [(step: Int, error: TraceError)] = []
        var released = 0
        defer { file.releasePages(0..<fileSize) }
        for step in 0..<stepCount {
            releaseBehind(step, &released)
            do { _ = try directory(step) } catch let e as TraceError { out.append((step, e)) } catch {}
        }
        return out
    }

    /// Drops the resident pages of the memory map (all of it, or the chunks of steps < `step`), so
    /// that reading a large trace front to back keeps RSS flat. Reads after this fault the bytes back
    /// in from the page cache; nothing else changes. No-op for a reader over an in-memory copy.
    public func releasePages(beforeStep step: Int? = nil) {
        let end = step.map { $0 <= 0 ? 0 : $0 >= stepCount ? fileSize : chunkOffsets[$0] } ?? fileSize
        file.releasePages(0..<end)
    }

    /// Decodes every record of every step; throws the first problem found.
    public func verifyAll() throws {
        var released = 0
        defer { file.releasePages(0..<fileSize) }
        for step in 0..<stepCount {
            releaseBehind(step, &released)
            _ = try frame(step)
        }
    }

    /// Whole-file passes drop the pages behind them every 64 MB.
    func releaseBehind(_ step: Int, _ released: inout Int) {
        let at = chunkOffsets[step]
        if at - released >= 64 << 20 { file.releasePages(released..<at); released = at }
    }
}
