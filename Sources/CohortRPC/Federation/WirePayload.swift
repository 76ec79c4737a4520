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

    // MARK: Straight from and to [Float]
    //
    // A model of 1M parameters is 4 MB: these read and write the wire form without a second
    // whole copy of it (on little-endian hosts a [Float]'s memory is its wire form).

    /// The SHA-256 of `values`' little-endian bytes, without copying them.
    public static func sha256(of values: [Float]) -> Data {
        #if _endian(little)
        return values.withUnsafeBytes { Data(SHA256.hash(data: $0)) }
        #else
        return sha256(bytes(of: values))
        #endif
    }

    /// The `size` bytes (fewer at the end) of `values`' wire form from byte `offset`.
    public static func chunk(of values: [Float], at offset: Int, size: Int) -> Data {
        let end = min(offset + size, values.count * 4)
        precondition(offset >= 0 && offset <= end, "chunk offset \(offset) outside a payload of \(values.count * 4) bytes")
        #if _endian(little)
        return values.withUnsafeBytes { Data($0[offset..<end]) }
        #else
        return bytes(of: values).subdata(in: offset..<end)
        #endif
    }

    /// `values`' wire form cut into chunks of at most `size` bytes (one empty chunk for none),
    /// each copied once from `values`.
    public static func chunks(of values: [Float], size: Int) -> [Data] {
        guard !values.isEmpty else { return [Data()] }
        return stride(from: 0, to: values.count * 4, by: size).map { chunk(of: values, at: $0, size: size) }
    }

    /// Floats decoded as their chunks arrive, hashed on the way: no assembled payload.
    public struct Assembler: Sendable {
        /// The floats decoded so far.
        public private(set) var values: [Float] = []
        /// The payload bytes received so far.
        public private(set) var byteCount = 0
        private var hasher = SHA256()
        /// The bytes of a float split between two chunks (fewer than 4).
        private var carry: [UInt8] = []

        /// Expects about `expectedBytes` bytes (space is reserved for them, no more).
        public init(expectedBytes: Int) {
            values.reserveCapacity(max(0, expectedBytes) / 4)
        }

        public mutating func append(_ data: Data) {
            hasher.update(data: data)
            byteCount += data.count
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                if !carry.isEmpty {
                    while carry.count < 4 && offset < raw.count {
                        carry.append(raw[offset])
                        offset += 1
                    }
                    guard carry.count == 4 else { return }
                    values.append(Float(bitPattern: UInt32(carry[0]) | UInt32(carry[1]) << 8 | UInt32(carry[2]) << 16 | UInt32(carry[3]) << 24))
                    carry.removeAll()
                }
                let whole = (raw.count - offset) / 4
                for index in 0..<whole {
                    let bits = raw.loadUnaligned(fromByteOffset: offset + index * 4, as: UInt32.self)
                    values.append(Float(bitPattern: UInt32(littleEndian: bits)))
                }
                carry.append(contentsOf: raw[(offset + whole * 4)...])
            }
        }

        /// The SHA-256 of every byte appended.
        public var sha256: Data { Data(hasher.finalize()) }

        /// The floats; nil when the bytes were not a whole number of floats.
        public func finished() -> [Float]? { carry.isEmpty ? values : nil }
    }

    /// The manifest of a model's parameters (`Network.layout`): names and shapes in
    /// flattening order, with the payload's size and SHA-256.
    public static func manifest(of layout: [(name: String, shape: [Int])], payload: Data) -> Cohort_V1_ModelManifest {
        manifest(of: layout, payloadBytes: payload.count, sha256: sha256(payload))
    }

    /// The manifest of a model's parameters `values` (`Network.layout` gives `layout`).
    public static func manifest(of layout: [(name: String, shape: [Int])], values: [Float]) -> Cohort_V1_ModelManifest {
        manifest(of: layout, payloadBytes: values.count * 4, sha256: sha256(of: values))
    }

    static func manifest(of layout: [(name: String, shape: [Int])], payloadBytes: Int, sha256: Data) -> Cohort_V1_ModelManifest {
        .with { manifest in
            manifest.tensors = layout.map { entry in .with { $0.name = entry.name; $0.shape = entry.shape.map(UInt64.init) } }
            manifest.payloadBytes = UInt64(payloadBytes)
            manifest.sha256 = sha256
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
