import CohortTensor
import Foundation

extension SafetensorsFile {
    /// The bytes of a safetensors file holding `tensors` and `metadata`: what `write`
    /// puts on disk, for callers that send a model rather than store it.
    ///
    /// `source` names the model in errors.
    ///
    /// - Throws: `ModelFileError` with `.invalidTensorName` or `.headerTooLarge`.
    public static func encode(
        _ tensors: NamedTensors, metadata: [String: String] = [:], source: String = "(in memory)"
    ) throws -> Data {
        requireLittleEndianHost()
        var members: [(key: String, value: [UInt8])] = []
        members.reserveCapacity(tensors.count + 1)
        var offset = 0
        for (name, tensor) in zip(tensors.names, tensors.tensors) {
            guard name != metadataKey else {
                throw ModelFileError(
                    .invalidTensorName,
                    "a tensor cannot be named \"\(metadataKey)\": the format reserves that key for metadata",
                    path: source, tensorName: name)
            }
            let end = offset + MemoryLayout<Float>.size * tensor.count
            var entry: [UInt8] = []
            SafetensorsHeader.JSONText.appendObject([
                ("data_offsets", SafetensorsHeader.JSONText.array([offset, end])),
                ("dtype", SafetensorsHeader.JSONText.string("F32")),
                ("shape", SafetensorsHeader.JSONText.array(tensor.shape)),
            ], to: &entry)
            members.append((name, entry))
            offset = end
        }
        if !metadata.isEmpty {
            var object: [UInt8] = []
            let values = metadata.map { ($0.key, SafetensorsHeader.JSONText.string($0.value)) }
            SafetensorsHeader.JSONText.appendObject(values, to: &object)
            members.append((metadataKey, object))
        }

        var header: [UInt8] = []
        SafetensorsHeader.JSONText.appendObject(members, to: &header)
        // The reference writer pads with spaces so the data buffer starts 8-byte aligned.
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        guard header.count <= maximumHeaderLength else {
            throw ModelFileError(
                .headerTooLarge,
                "the header would be \(header.count) bytes, over the \(maximumHeaderLength)-byte limit that readers enforce",
                path: source)
        }

        var bytes = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for tensor in tensors.tensors where tensor.count > 0 {
            tensor.withUnsafeBufferPointer { bytes.append($0) }
        }
        return bytes
    }
}
