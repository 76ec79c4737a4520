import CohortData
import CohortPrivacy
import Foundation

/// The checkpoint's file form (`checkpoint.bin` in a run store): everything but the float
/// vectors as a small JSON document, the vectors as raw float32, and a SHA-256 at the end.
///
/// ```
/// offset  size  field
///      0     8  magic "COHORTCK"
///      8     4  format version, UInt32 little-endian (1)
///     12     8  length M of the metadata, UInt64 little-endian
///     20     M  metadata: UTF-8 JSON, snake_case keys, sorted — the checkpoint without its
///               vectors, and "vectors": [{"name": "global", "count": N}, …] in payload order
///   20+M     P  payload: each listed vector's values, IEEE-754 float32 little-endian
/// 20+M+P    32  SHA-256 of every byte before it
/// ```
///
/// The vectors are the global model and the strategy's (FedAvgM's velocity, the adaptive
/// strategies' moments): millions of values for a large model, which JSON would turn into
/// tens of megabytes of text and as many transient allocations. Here they are written (and
/// hashed) straight from their arrays, so writing a checkpoint holds nothing beyond the
/// checkpoint itself and one small metadata document.
///
/// The trailing SHA-256 is the hash the run log records for the checkpoint: the store finds
/// the logged file by it and checks it against the content when reading.
extension RunCheckpoint {
    /// The first bytes of every checkpoint file: "COHORTCK".
    static let fileMagic: [UInt8] = Array("COHORTCK".utf8)
    /// The format written here.
    static let fileVersion: UInt32 = 1
    /// Magic, version and metadata length.
    static let fileHeaderSize = 20
    static let fileTrailerSize = 32

    /// A vector of the payload: its name and length.
    private struct VectorEntry: Codable, Equatable {
        var name: String
        var count: Int
    }

    /// The metadata document: the checkpoint without its vectors.
    private struct Metadata: Codable {
        var runID: String
        var round: Int
        var preprocessing: PreprocessingStatistics
        var strategy: StrategyState
        var runLedger: PrivacyLedger
        var siteEpsilons: [String: Double]
        var history: [RoundRecord]
        var noiseMultiplier: Double?
        var vectors: [VectorEntry]

        private enum CodingKeys: String, CodingKey {
            case runID = "run_id"
            case round
            case preprocessing
            case strategy
            case runLedger = "run_ledger"
            case siteEpsilons = "site_epsilons"
            case history
            case noiseMultiplier = "noise_multiplier"
            case vectors
        }
    }

    /// The payload's vectors in file order, named as the metadata lists them.
    private var fileVectors: [(name: String, values: [Float])] {
        var vectors = [("global", global)]
        if let velocity = strategy.velocity { vectors.append(("strategy.velocity", velocity)) }
        if let first = strategy.firstMoment { vectors.append(("strategy.first_moment", first)) }
        if let second = strategy.secondMoment { vectors.append(("strategy.second_moment", second)) }
        return vectors
    }

    /// Writes the file form through `write` (in pieces: header, metadata, each vector from
    /// its own storage, trailer) and returns the trailer's SHA-256 as hexadecimal digits.
    ///
    /// - Throws: what `write` throws; `.writeFailed` naming `path` when the metadata cannot
    ///   be encoded.
    func writeFile(path: String, _ write: (UnsafeRawBufferPointer) throws(RunStoreError) -> Void) throws(RunStoreError) -> String {
        let vectors = fileVectors
        var bare = strategy
        bare.velocity = nil
        bare.firstMoment = nil
        bare.secondMoment = nil
        let metadata = Metadata(
            runID: runID, round: round, preprocessing: preprocessing, strategy: bare, runLedger: runLedger,
            siteEpsilons: siteEpsilons, history: history, noiseMultiplier: noiseMultiplier,
            vectors: vectors.map { VectorEntry(name: $0.name, count: $0.values.count) })
        let document: Data
        do {
            document = try AuditValue.jsonEncoder().encode(metadata)
        } catch {
            throw RunStoreError(.writeFailed, path: path, "cannot encode the checkpoint's metadata: \(error)")
        }
        var header = Self.fileMagic
        withUnsafeBytes(of: Self.fileVersion.littleEndian) { header.append(contentsOf: $0) }
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

    /// Whether `bytes` start as a checkpoint file (not a JSON checkpoint of earlier versions).
    static func isFile(_ bytes: Data) -> Bool {
        bytes.count >= fileMagic.count && bytes.prefix(fileMagic.count).elementsEqual(fileMagic)
    }

    /// The SHA-256 a checkpoint file ends with, as hexadecimal digits: the hash the run log
    /// records for it. Nil when `bytes` are too short to hold one.
    static func recordedDigest(ofFile bytes: Data) -> String? {
        guard bytes.count >= fileHeaderSize + fileTrailerSize else { return nil }
        return SHA256.hex(bytes.suffix(fileTrailerSize))
    }

    /// Reads a checkpoint file.
    ///
    /// - Throws: `.corruptFile` naming `path`: not a checkpoint file, a format version this
    ///   code does not read, truncated (or with bytes after its end), content whose SHA-256
    ///   is not the one it ends with, metadata that does not decode, or vectors that do not
    ///   fit it.
    init(file bytes: Data, path: String) throws(RunStoreError) {
        func corrupt(_ detail: String) -> RunStoreError { RunStoreError(.corruptFile, path: path, detail) }
        guard Self.isFile(bytes) else { throw corrupt("not a checkpoint file (it does not start with \"COHORTCK\")") }
        let size = bytes.count
        guard size >= Self.fileHeaderSize + Self.fileTrailerSize else {
            throw corrupt("truncated: \(size) bytes, fewer than a checkpoint's header and trailer (\(Self.fileHeaderSize + Self.fileTrailerSize))")
        }
        let version = Self.littleEndian(UInt32.self, in: bytes, at: 8)
        guard version == Self.fileVersion else {
            throw corrupt("checkpoint format version \(version); this orchestrator reads version \(Self.fileVersion)")
        }
        let metadataLength = Self.littleEndian(UInt64.self, in: bytes, at: 12)
        guard metadataLength <= UInt64(size - Self.fileHeaderSize - Self.fileTrailerSize) else {
            throw corrupt("truncated: its header announces \(metadataLength) bytes of metadata, the file has \(size) bytes in all")
        }
        let payloadStart = Self.fileHeaderSize + Int(metadataLength)
        let metadata: Result<Metadata, any Error> = Result {
            try AuditValue.jsonDecoder().decode(Metadata.self, from: bytes.subdata(in: bytes.startIndex + Self.fileHeaderSize ..< bytes.startIndex + payloadStart))
        }
        // A truncated file is named as such before its (then meaningless) trailer is compared.
        if case .success(let metadata) = metadata {
            let values = metadata.vectors.reduce(0) { $0 + max($1.count, 0) }
            let expected = payloadStart + 4 * values + Self.fileTrailerSize
            guard size == expected else {
                throw corrupt(size < expected
                    ? "truncated: its header and metadata announce \(expected) bytes, the file has \(size)"
                    : "its header and metadata announce \(expected) bytes, the file has \(size) (bytes after its end)")
            }
        }
        var hasher = SHA256()
        bytes.prefix(size - Self.fileTrailerSize).withUnsafeBytes { hasher.update($0) }
        let content = SHA256.hex(hasher.finalize())
        let trailer = SHA256.hex(bytes.suffix(Self.fileTrailerSize))
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
        let known: Set = ["global", "strategy.velocity", "strategy.first_moment", "strategy.second_moment"]
        if let unknown = vectors.keys.sorted().first(where: { !known.contains($0) }) {
            throw corrupt("its metadata lists a vector \(unknown) that no checkpoint has")
        }
        guard let global = vectors["global"] else { throw corrupt("it holds no global model (no vector \"global\")") }
        var strategy = decoded.strategy
        strategy.velocity = vectors["strategy.velocity"]
        strategy.firstMoment = vectors["strategy.first_moment"]
        strategy.secondMoment = vectors["strategy.second_moment"]
        self.init(
            runID: decoded.runID, round: decoded.round, global: global, preprocessing: decoded.preprocessing,
            strategy: strategy, runLedger: decoded.runLedger, siteEpsilons: decoded.siteEpsilons, history: decoded.history)
        noiseMultiplier = decoded.noiseMultiplier
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
