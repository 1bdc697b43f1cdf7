// MARK: - Human-readable summary

extension GGUFFile {
    /// A text overview: version, sizes, metadata (long values abbreviated), tensor counts by type,
    /// and the first `maxTensors` tensors. For an `info`-style command and for debugging.
    public func summary(maxTensors: Int = 12) -> String {
        var lines = ["\(path): GGUF v\(version), \(fileSize) bytes, \(metadata.count) metadata keys, "
            + "\(tensors.count) tensors, alignment \(alignment), data at offset \(dataOffset)"]
        for key in metadataKeys {
            guard let value = metadata[key] else { continue }
            let text = key == "tokenizer.chat_template" ? "(\(value.stringValue?.count ?? 0) characters)" : value.description
            lines.append("  \(key) = \(text.replacingNewlines())")
        }
        var byType: [GGMLType: (count: Int, bytes: Int)] = [:]
        for info in tensors.values {
            byType[info.type, default: (0, 0)].count += 1
            byType[info.type, default: (0, 0)].bytes += info.byteCount
        }
        let types = byType.sorted { $0.value.bytes > $1.value.bytes }
            .map { "\($0.key) × \($0.value.count) (\($0.value.bytes) bytes)" }
        lines.append("  tensor types: " + types.joined(separator: ", "))
        for name in tensorNames.prefix(maxTensors) {
            guard let info = tensors[name] else { continue }
            lines.append("  \(name): \(info.type) \(info.shape) at \(info.fileOffset), \(info.byteCount) bytes")
        }
        if tensorNames.count > maxTensors { lines.append("  … \(tensorNames.count - maxTensors) more tensors") }
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func replacingNewlines() -> String {
        var out = ""
        for c in unicodeScalars { if c == "\n" { out += "\\n" } else { out.unicodeScalars.append(c) } }
        return out
    }
}
