// MARK: - Errors

/// Every way a GGUF file (or the model in it) can be unusable: one case per problem.
/// `description` names the file, the byte offset where it applies, and the problem;
/// the command line prints it and exits with status 2.
public enum GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    // Opening
    case cannotOpen(file: String, reason: String)
    // Header
    case badMagic(file: String, found: [UInt8])
    case unsupportedVersion(file: String, version: UInt32)
    /// The file ends before `what` (needing `needed` bytes at `offset`) could be read.
    case truncated(file: String, offset: Int, needed: Int, what: String)
    /// A count or length that cannot fit in the rest of the file.
    case countTooLarge(file: String, offset: Int, what: String, count: UInt64)
    // Metadata
    case invalidUTF8(file: String, offset: Int, what: String)
    case unknownValueType(file: String, offset: Int, key: String, rawType: UInt32)
    case arrayNestingTooDeep(file: String, offset: Int, key: String)
    case duplicateKey(file: String, offset: Int, key: String)
    case badAlignment(file: String, alignment: Int64)
    // Tensor infos
    case duplicateTensor(file: String, offset: Int, tensor: String)
    case badDimensionCount(file: String, offset: Int, tensor: String, count: UInt32)
    case badShape(file: String, offset: Int, tensor: String, shape: [UInt64], reason: String)
    case unsupportedTensorType(file: String, offset: Int, tensor: String, rawType: UInt32)
    /// ne0 is not a whole number of the type's blocks (32 elements, or 256 for the K-quants).
    case rowNotWholeBlocks(file: String, offset: Int, tensor: String, type: GGMLType, rowLength: UInt64)
    /// The bytes the shape needs run into the next tensor's data: the stored size does not match the shape.
    case tensorSizeMismatch(file: String, tensor: String, type: GGMLType, shape: [Int], byteCount: Int, available: Int, next: String)
    case misalignedTensor(file: String, tensor: String, offset: UInt64, alignment: Int)
    case tensorOutOfBounds(file: String, tensor: String, start: UInt64, byteCount: Int, fileSize: Int)
    // Model level (used when a model is built from the file)
    case missingKey(file: String, key: String)
    case wrongValueType(file: String, key: String, expected: String, found: GGUFValueType)
    case invalidValue(file: String, key: String, value: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    case wrongTensorType(file: String, tensor: String, expected: String, found: GGMLType)
    case unknownArchitecture(file: String, architecture: String, supported: [String])
    case unsupportedTokenizer(file: String, model: String)

    public var description: String {
        switch self {
        case .cannotOpen(let file, let reason):
            return "\(file): cannot open: \(reason)"
        case .badMagic(let file, let found):
            let hex = found.map { String($0, radix: 16) }.joined(separator: " ")
            return "\(file): offset 0: not a GGUF file (magic bytes \(hex), expected \"GGUF\" = 47 47 55 46)"
        case .unsupportedVersion(let file, let version):
            let swapped = version.byteSwapped
            let hint = swapped == 2 || swapped == 3 ? "; this looks like a big-endian file, only little-endian is supported" : ""
            return "\(file): offset 4: unsupported GGUF version \(version) (this reader handles versions 2 and 3\(hint))"
        case .truncated(let file, let offset, let needed, let what):
            return "\(file): offset \(offset): file is truncated: \(what) needs \(needed) more byte(s)"
        case .countTooLarge(let file, let offset, let what, let count):
            return "\(file): offset \(offset): \(what) of \(count) cannot fit in the file (corrupt header?)"
        case .invalidUTF8(let file, let offset, let what):
            return "\(file): offset \(offset): \(what) is not valid UTF-8"
        case .unknownValueType(let file, let offset, let key, let rawType):
            return "\(file): offset \(offset): metadata key '\(key)' has unknown value type \(rawType)"
        case .arrayNestingTooDeep(let file, let offset, let key):
            return "\(file): offset \(offset): metadata key '\(key)' nests arrays too deeply"
        case .duplicateKey(let file, let offset, let key):
            return "\(file): offset \(offset): metadata key '\(key)' appears twice"
        case .badAlignment(let file, let alignment):
            return "\(file): general.alignment = \(alignment) is not a positive power of two"
        case .duplicateTensor(let file, let offset, let tensor):
            return "\(file): offset \(offset): tensor '\(tensor)' appears twice"
        case .badDimensionCount(let file, let offset, let tensor, let count):
            return "\(file): offset \(offset): tensor '\(tensor)' has \(count) dimensions (1...4 allowed)"
        case .badShape(let file, let offset, let tensor, let shape, let reason):
            return "\(file): offset \(offset): tensor '\(tensor)' has invalid shape \(shape): \(reason)"
        case .unsupportedTensorType(let file, let offset, let tensor, let rawType):
            return "\(file): offset \(offset): tensor '\(tensor)' has unsupported type "
                + "\(GGMLType.name(rawValue: rawType)) (\(rawType)); supported: "
                + GGMLType.allCases.map(\.description).joined(separator: ", ")
        case .rowNotWholeBlocks(let file, let offset, let tensor, let type, let rowLength):
            return "\(file): offset \(offset): tensor '\(tensor)' is \(type), whose blocks hold \(type.blockSize) elements, "
                + "but its rows have \(rowLength) elements (ne0), not a multiple of \(type.blockSize)"
        case .tensorSizeMismatch(let file, let tensor, let type, let shape, let byteCount, let available, let next):
            return "\(file): tensor '\(tensor)' (\(type), shape \(shape), ne0 first) needs \(byteCount) bytes "
                + "(\(byteCount / type.bytesPerBlock) blocks of \(type.bytesPerBlock) bytes) but tensor '\(next)' starts "
                + "\(available) bytes after it: its data size does not match its shape"
        case .misalignedTensor(let file, let tensor, let offset, let alignment):
            return "\(file): tensor '\(tensor)' data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .tensorOutOfBounds(let file, let tensor, let start, let byteCount, let fileSize):
            return "\(file): offset \(start): tensor '\(tensor)' needs \(byteCount) bytes "
                + "but the file is only \(fileSize) bytes long (truncated?)"
        case .missingKey(let file, let key):
            return "\(file): metadata key '\(key)' is missing"
        case .wrongValueType(let file, let key, let expected, let found):
            return "\(file): metadata key '\(key)' is \(found), expected \(expected)"
        case .invalidValue(let file, let key, let value, let reason):
            return "\(file): metadata key '\(key)' = \(value) is invalid: \(reason)"
        case .missingTensor(let file, let tensor):
            return "\(file): tensor '\(tensor)' is missing"
        case .shapeMismatch(let file, let tensor, let expected, let found):
            return "\(file): tensor '\(tensor)' has shape \(found) (ne0 first), expected \(expected)"
        case .wrongTensorType(let file, let tensor, let expected, let found):
            return "\(file): tensor '\(tensor)' has type \(found), expected \(expected)"
        case .unknownArchitecture(let file, let architecture, let supported):
            return "\(file): unknown architecture '\(architecture)' (supported: \(supported.joined(separator: ", ")))"
        case .unsupportedTokenizer(let file, let model):
            return "\(file): tokenizer.ggml.model = '\(model)' is not supported (supported: 'gpt2' byte-level BPE, 'llama' SentencePiece)"
        }
    }
}

#if canImport(Foundation)
import Foundation
extension GGUFError: LocalizedError {
    public var errorDescription: String? { description }
}
#endif
