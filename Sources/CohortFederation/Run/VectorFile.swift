import Foundation

/// The metadata document of a `VectorFile`: whatever the file's kind keeps, plus the list of
/// its vectors in payload order (the file fills it in when writing).
protocol VectorFileMetadata: Codable {
    var vectors: [VectorFile.Entry] { get set }
}

/// The file form of checkpoints (`checkpoint.bin`) and of the updates a site keeps
/// (`sent/RUN.update`): a small JSON document, named float vectors as raw float32, and a
/// SHA-256 at the end.
///
/// ```
/// offset  size  field
///      0     8  magic, 8 ASCII bytes naming the kind ("COHORTCK", "COHORTUP")
///      8     4  format version, UInt32 little-endian
///     12     8  length M of the metadata, UInt64 little-endian
///     20     M  metadata: UTF-8 JSON, snake_case keys, sorted — the kind's fields, and
///               "vectors": [{"name": "global", "count": N}, …] in payload order
///   20+M     P  payload: each listed vector's values, IEEE-754 float32 little-endian
/// 20+M+P    32  SHA-256 of every byte before it
/// ```
///
/// Vectors hold millions of values for a large model, which JSON would turn into tens of
/// megabytes of text and as many transient allocations. Here they are written (and hashed)
/// straight from their arrays, so writing holds nothing beyond one small metadata document.
struct VectorFile {
    /// A vector of the payload: its name and length.
    struct Entry: Codable, Equatable {
        var name: String
        var count: Int
    }

    /// The first 8 bytes, naming the kind.
    let magic: String
    /// The format written (and the only one read).
    let version: UInt32
    /// The kind in messages ("checkpoint").
    let kind: String
    /// Who reads it, in messages ("this orchestrator").
    let reader: String

    static let headerSize = 20
    static let trailerSize = 32

    /// Writes the file form through `write` (in pieces: header, metadata, each vector from
    /// its own storage, trailer) and returns the trailer's SHA-256 as hexadecimal digits.
    ///
    /// - Throws: what `write` throws; `.writeFailed` naming `path` when the metadata cannot
    ///   be encoded.
    func write<Metadata: VectorFileMetadata>(
        _ metadata: Metadata, vectors: [(name: String, values: [Float])], path: String,
        _ write: (UnsafeRawBufferPointer) throws(RunStoreError) -> Void
    ) throws(RunStoreError) -> String {
        var metadata = metadata
        metadata.vectors = vectors.map { Entry(name: $0.name, count: $0.values.count) }
        let document: Data
        do {
            document = try AuditValue.jsonEncoder().encode(metadata)
        } catch {
            throw RunStoreError(.writeFailed, path: path, "cannot encode the \(kind)'s metadata: \(error)")
        }
        var header = Array(magic.utf8)
        withUnsafeBytes(of: version.littleEndian) { header.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(document.count).littleEndian) { header.append(contentsOf: $0) }

        // `withUnsafeBytes` rethrows untyped errors: the first failure is kept, and thrown after.
        var hasher = SHA256()
        var failure: RunStoreError?
        func emit(_ bytes: UnsafeRawBufferPointer, hashing: Bool = true) {
            guard failure == nil else { return }
            if hashing { hasher.update(bytes) }
            do throws(RunStoreError) {
                try write(bytes)
            } catch {
                failure = error
            }
        }
        header.withUnsafeBytes { emit($0) }
        document.withUnsafeBytes { emit($0) }
        for vector in vectors {
            #if _endian(little)
            vector.values.withUnsafeBytes { emit($0) }
            #else
            // Little-endian on disk: swapped a slice at a time.
            for start in stride(from: 0, to: vector.values.count, by: 16_384) {
                let slice = vector.values[start..<min(start + 16_384, vector.values.count)].map { $0.bitPattern.littleEndian }
                slice.withUnsafeBytes { emit($0) }
            }
            #endif
        }
        let digest = hasher.finalize()
        digest.withUnsafeBytes { emit($0, hashing: false) }
        if let failure { throw failure }
        return SHA256.hex(digest)
    }

    /// Whether `bytes` start with this kind's magic.
    func isFile(_ bytes: Data) -> Bool {
        let magicBytes = Array(magic.utf8)
        return bytes.count >= magicBytes.count && bytes.prefix(magicBytes.count).elementsEqual(magicBytes)
    }

    /// The SHA-256 a file ends with, as hexadecimal digits. Nil when `bytes` are too short to
    /// hold one.
    static func recordedDigest(ofFile bytes: Data) -> String? {
        guard bytes.count >= headerSize + trailerSize else { return nil }
        return SHA256.hex(bytes.suffix(trailerSize))
    }

    /// Reads a file: its metadata and its vectors by name (each name once).
    ///
    /// - Throws: `.corruptFile` naming `path`: not this kind of file, a format version this
    ///   code does not read, truncated (or with bytes after its end), content whose SHA-256
    ///   is not the one it ends with, metadata that does not decode, or a vector listed twice.
    func read<Metadata: VectorFileMetadata>(
        _ bytes: Data, path: String, as type: Metadata.Type
    ) throws(RunStoreError) -> (metadata: Metadata, vectors: [String: [Float]]) {
        func corrupt(_ detail: String) -> RunStoreError { RunStoreError(.corruptFile, path: path, detail) }
        guard isFile(bytes) else { throw corrupt("not a \(kind) file (it does not start with \"\(magic)\")") }
        let size = bytes.count
        guard size >= Self.headerSize + Self.trailerSize else {
            throw corrupt("truncated: \(size) bytes, fewer than a \(kind)'s header and trailer (\(Self.headerSize + Self.trailerSize))")
        }
        let fileVersion = Self.littleEndian(UInt32.self, in: bytes, at: 8)
        guard fileVersion == version else {
            throw corrupt("\(kind) format version \(fileVersion); \(reader) reads version \(version)")
        }
        let metadataLength = Self.littleEndian(UInt64.self, in: bytes, at: 12)
        guard metadataLength <= UInt64(size - Self.headerSize - Self.trailerSize) else {
            throw corrupt("truncated: its header announces \(metadataLength) bytes of metadata, the file has \(size) bytes in all")
        }
        let payloadStart = Self.headerSize + Int(metadataLength)
        let metadata: Result<Metadata, any Error> = Result {
            try AuditValue.jsonDecoder().decode(Metadata.self, from: bytes.subdata(in: bytes.startIndex + Self.headerSize ..< bytes.startIndex + payloadStart))
        }
        // A truncated file is named as such before its (then meaningless) trailer is compared.
        if case .success(let metadata) = metadata {
            let values = metadata.vectors.reduce(0) { $0 + max($1.count, 0) }
            let expected = payloadStart + 4 * values + Self.trailerSize
            guard size == expected else {
                throw corrupt(size < expected
                    ? "truncated: its header and metadata announce \(expected) bytes, the file has \(size)"
                    : "its header and metadata announce \(expected) bytes, the file has \(size) (bytes after its end)")
            }
        }
        var hasher = SHA256()
        bytes.prefix(size - Self.trailerSize).withUnsafeBytes { hasher.update($0) }
        let content = SHA256.hex(hasher.finalize())
        let trailer = SHA256.hex(bytes.suffix(Self.trailerSize))
        guard content == trailer else {
            throw corrupt("damaged: the SHA-256 of its content is \(content), the file ends with \(trailer)")
        }
        let decoded: Metadata
        switch metadata {
        case .success(let value): decoded = value
        case .failure(let error): throw corrupt("its metadata does not decode: \(error)")
        }
        var offset = payloadStart
        var vectors = [String: [Float]]()
        for entry in decoded.vectors {
            guard entry.count >= 0, vectors[entry.name] == nil else {
                throw corrupt("its metadata lists vector \(entry.name) twice or with a negative count")
            }
            vectors[entry.name] = Self.floats(in: bytes, at: offset, count: entry.count)
            offset += 4 * entry.count
        }
        return (decoded, vectors)
    }

    private static func littleEndian<T: FixedWidthInteger>(_ type: T.Type, in bytes: Data, at offset: Int) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// `count` little-endian float32 values at `offset`, copied once into a new array.
    private static func floats(in bytes: Data, at offset: Int, count: Int) -> [Float] {
        bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 {
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + 4 * count]))
                }
                #if _endian(big)
                for index in 0..<count { buffer[index] = Float(bitPattern: UInt32(littleEndian: buffer[index].bitPattern)) }
                #endif
                initialized = count
            }
        }
    }
}
