import CohortTensor
import Foundation

extension SafetensorsFile {
    /// The tensors and metadata in the bytes of a safetensors file: what `read` returns,
    /// for callers that receive a model rather than open one.
    ///
    /// `source` names the bytes in errors (a path, or a peer and a task).
    ///
    /// Checks, in this order: the length prefix (8 bytes, at most `maximumHeaderLength`,
    /// within the file); the header (UTF-8, a JSON object, no name twice in one object,
    /// `__metadata__` an object of strings, each tensor an `F32` entry whose byte range is
    /// 4 × the product of its shape); then the layout (ranges sorted by offset must start
    /// at 0, follow each other without gap or overlap, and end exactly at the end of the
    /// file). A layout that is consistent but runs past the end is a truncated file.
    ///
    /// - Throws: `ModelFileError`.
    public static func decode(
        _ bytes: Data, source: String = "(in memory)"
    ) throws -> (tensors: NamedTensors, metadata: [String: String]) {
        requireLittleEndianHost()
        return try bytes.withUnsafeBytes { file in
            guard file.count >= 8 else {
                throw ModelFileError(
                    .fileTooShort,
                    "the file has \(file.count) bytes; a safetensors file begins with an 8-byte header length",
                    path: source)
            }
            let declaredLength = file.loadUnaligned(as: UInt64.self).littleEndian
            guard declaredLength <= UInt64(maximumHeaderLength) else {
                throw ModelFileError(
                    .headerTooLarge,
                    "the header length field says \(declaredLength) bytes, over the \(maximumHeaderLength)-byte "
                        + "limit (the file is corrupt or not a safetensors file)",
                    path: source)
            }
            let headerLength = Int(declaredLength)
            guard headerLength <= file.count - 8 else {
                throw ModelFileError(
                    .headerBeyondEndOfFile,
                    "the header length field says \(headerLength) bytes, but only \(file.count - 8) bytes follow it",
                    path: source)
            }
            let header = try SafetensorsHeader(
                parsing: UnsafeRawBufferPointer(rebasing: file[8..<(8 + headerLength)]), path: source)
            let buffer = UnsafeRawBufferPointer(rebasing: file[(8 + headerLength)...])

            let entries = header.entries.sorted { left, right in
                if left.begin != right.begin { return left.begin < right.begin }
                if left.end != right.end { return left.end < right.end }
                return left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
            }
            try checkLayout(entries, bufferLength: buffer.count, source: source)

            var tensors = NamedTensors()
            for entry in entries {
                let scalars = [Float](unsafeUninitializedCapacity: entry.elementCount) { storage, initialized in
                    UnsafeMutableRawBufferPointer(storage).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: buffer[entry.begin..<entry.end]))
                    initialized = entry.elementCount
                }
                tensors.append(Tensor(shape: entry.shape, scalars: scalars), named: entry.name)
            }
            return (tensors, header.metadata)
        }
    }

    /// Checks that `entries`, sorted by offset, tile the data buffer exactly.
    private static func checkLayout(
        _ entries: [SafetensorsHeader.Entry], bufferLength: Int, source: String
    ) throws {
        var position = 0
        var previous: SafetensorsHeader.Entry?
        var layoutError: ModelFileError?
        for entry in entries {
            if entry.begin < position, let previous {
                layoutError = ModelFileError(
                    .overlappingTensors,
                    "tensor \"\(entry.name)\" (bytes \(entry.begin)..<\(entry.end) of the data buffer) overlaps "
                        + "tensor \"\(previous.name)\" (bytes \(previous.begin)..<\(previous.end))",
                    path: source, tensorName: entry.name)
                break
            }
            if entry.begin > position {
                layoutError = ModelFileError(
                    .unusedBytes,
                    "bytes \(position)..<\(entry.begin) of the data buffer, before tensor \"\(entry.name)\", "
                        + "belong to no tensor; the format requires the tensors to cover the buffer",
                    path: source, tensorName: entry.name)
                break
            }
            position = entry.end
            previous = entry
        }

        let describedLength = entries.map(\.end).max() ?? 0
        if describedLength > bufferLength {
            if layoutError == nil {
                throw ModelFileError(
                    .truncatedFile,
                    "the header describes \(describedLength) bytes of tensor data, but only \(bufferLength) follow "
                        + "the header: the file is truncated",
                    path: source)
            }
            // The first tensor in offset order that does not fit.
            if let outside = entries.first(where: { $0.end > bufferLength }) {
                throw ModelFileError(
                    .offsetsOutOfBounds,
                    "tensor \"\(outside.name)\" has data_offsets [\(outside.begin), \(outside.end)], beyond the end "
                        + "of the \(bufferLength)-byte data buffer",
                    path: source, tensorName: outside.name)
            }
        }
        if let layoutError { throw layoutError }
        if position < bufferLength {
            throw ModelFileError(
                .unusedBytes,
                "the last \(bufferLength - position) bytes of the file (bytes \(position)..<\(bufferLength) of the "
                    + "data buffer) belong to no tensor; the format requires the tensors to cover the buffer",
                path: source)
        }
    }
}
