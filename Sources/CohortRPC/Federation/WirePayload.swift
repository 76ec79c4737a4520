import CohortLearn
import Crypto
import Foundation

/// A flat float32 vector as the wire carries it: little-endian bytes, in chunks of at most
/// `MessageLimits.chunkBytes`, checked on arrival by size and SHA-256 (cohort.proto, "Payloads").
public enum WirePayload {
    /// The little-endian bytes of `values`.
    public static func bytes(of values: [Float]) -> Data {
        var data = Data(count: values.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        return data
    }

    /// The floats of little-endian `data`; nil when its length is not a multiple of 4.
    public static func floats(from data: Data) -> [Float]? {
        guard data.count % 4 == 0 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// `data` cut into chunks of at most `size` bytes (one empty chunk for no bytes).
    public static func chunks(of data: Data, size: Int) -> [Data] {
        guard !data.isEmpty else { return [Data()] }
        return stride(from: 0, to: data.count, by: size).map { data.subdata(in: $0..<min($0 + size, data.count)) }
    }

    public static func sha256(_ data: Data) -> Data { Data(SHA256.hash(data: data)) }

    /// The manifest of a model's parameters (`Network.layout`): names and shapes in
    /// flattening order, with the payload's size and SHA-256.
    public static func manifest(of layout: [(name: String, shape: [Int])], payload: Data) -> Cohort_V1_ModelManifest {
        .with { manifest in
            manifest.tensors = layout.map { entry in .with { $0.name = entry.name; $0.shape = entry.shape.map(UInt64.init) } }
            manifest.payloadBytes = UInt64(payload.count)
            manifest.sha256 = sha256(payload)
        }
    }

    /// Why `manifest` does not describe `layout`, or nil.
    public static func mismatch(_ manifest: Cohort_V1_ModelManifest, layout: [(name: String, shape: [Int])]) -> String? {
        guard manifest.tensors.count == layout.count else {
            return "the manifest lists \(manifest.tensors.count) tensors, the model has \(layout.count)"
        }
        for (spec, entry) in zip(manifest.tensors, layout) where spec.name != entry.name || spec.shape != entry.shape.map(UInt64.init) {
            return "tensor \(spec.name) \(spec.shape) does not match the model's \(entry.name) \(entry.shape)"
        }
        return nil
    }
}
