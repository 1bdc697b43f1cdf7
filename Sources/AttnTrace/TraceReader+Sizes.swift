// Whole-file questions: how the bytes split by record kind, and a full check of every chunk.

extension TraceReader {
    /// Bytes per record kind over the whole file (record tag and length included), plus the
    /// framing: file header, chunk headers, footer and trailer. Reads every chunk (checks CRCs).
    /// Kinds in a fixed order; unknown kinds as "unknown(TAG)".
    public func sizeByRecordKind() -> [(kind: String, bytes: Int)] {
        var totals: [UInt64: Int] = [:]
        var framing = chunksStart   // the file header
        var unreadable = 0
        for step in 0..<stepCount {
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

    /// Decodes every record of every step; throws the first problem found.
    public func verifyAll() throws {
        for step in 0..<stepCount {
            _ = try frame(step)
        }
    }
}
