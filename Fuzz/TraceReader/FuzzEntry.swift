// libFuzzer entry for the trace reader: any bytes must give a reader or a TraceError, never a
// crash, a hang or a huge allocation. Built with the AttnTrace sources by scripts/fuzz-trace-reader.sh
// (see docs/trace-format.md §Fuzzing).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTraceReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let r = try? TraceReader(bytes: bytes, name: "fuzz") else { return 0 }
    _ = r.sizeByRecordKind()
    _ = try? r.summary()
    let m = r.header.model
    for s in 0..<min(r.stepCount, 64) {
        _ = try? r.frame(s)
        _ = try? r.stepInfo(s)
        _ = try? r.metrics(step: s, layer: m.layers - 1, head: m.heads - 1)
        _ = try? r.metrics(step: s, layer: 0, head: 0)
        _ = try? r.selection(step: s, layer: m.layers - 1, head: m.heads - 1)
        _ = try? r.rows(step: s, layer: 0, head: 0)
        _ = try? r.rowHeads(step: s)
    }
    _ = try? TraceDump.text(r)
    return 0
}
