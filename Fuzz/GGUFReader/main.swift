// libFuzzer target for the GGUF reader (see docs/runtime.md, scripts/fuzz-gguf.sh).
// Built by swiftc together with the reader's sources (no Foundation needed), so it runs under
// -sanitize=fuzzer,address: every input must either parse or throw a GGUFError, never crash or
// read outside the buffer.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let gguf = try? GGUFFile(bytes: bytes, name: "fuzz") else { return 0 }
    // Everything the file promises must be readable: dequantize every tensor (bounded).
    var budget = 1 << 20
    for name in gguf.tensorNames {
        guard let info = gguf.tensors[name], info.elementCount <= budget else { continue }
        budget -= info.elementCount
        let values = Dequantize.tensor(info, data: gguf.data(info))
        precondition(values.count == info.elementCount)
    }
    if let config = try? ModelConfig(gguf: gguf) { try? config.validateTensors(in: gguf) }
    FuzzExtras.run(gguf, input: bytes)
    return 0
}
