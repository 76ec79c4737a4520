import CohortData
import CohortPrivacy
import Foundation

/// The checkpoint's file form (`checkpoint.bin` in a run store): a `VectorFile` with the
/// magic "COHORTCK", version 1. Its metadata is the checkpoint without its vectors; the
/// vectors are the global model and the strategy's (FedAvgM's velocity, the adaptive
/// strategies' moments), named "global", "strategy.velocity", "strategy.first_moment" and
/// "strategy.second_moment".
///
/// The trailing SHA-256 is the hash the run log records for the checkpoint: the store finds
/// the logged file by it and checks it against the content when reading.

extension RunCheckpoint {
    static let file = VectorFile(magic: "COHORTCK", version: 1, kind: "checkpoint", reader: "this orchestrator")

    /// The metadata document: the checkpoint without its vectors.
    private struct Metadata: VectorFileMetadata {
        var runID: String
        var round: Int
        var preprocessing: PreprocessingStatistics
        var strategy: StrategyState
        var runLedger: PrivacyLedger
        var siteEpsilons: [String: Double]
        var history: [RoundRecord]
        var noiseMultiplier: Double?
        var vectors: [VectorFile.Entry] = []

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

    /// The payload's vectors in file order.
    private var fileVectors: [(name: String, values: [Float])] {
        var vectors = [("global", global)]
        if let velocity = strategy.velocity { vectors.append(("strategy.velocity", velocity)) }
        if let first = strategy.firstMoment { vectors.append(("strategy.first_moment", first)) }
        if let second = strategy.secondMoment { vectors.append(("strategy.second_moment", second)) }
        return vectors
    }

    /// Writes the file form through `write` (in pieces) and returns the trailer's SHA-256 as
    /// hexadecimal digits.
    ///
    /// - Throws: what `write` throws; `.writeFailed` naming `path` when the metadata cannot
    ///   be encoded.
    func writeFile(path: String, _ write: (UnsafeRawBufferPointer) throws(RunStoreError) -> Void) throws(RunStoreError) -> String {
        var bare = strategy
        bare.velocity = nil
        bare.firstMoment = nil
        bare.secondMoment = nil
        let metadata = Metadata(
            runID: runID, round: round, preprocessing: preprocessing, strategy: bare, runLedger: runLedger,
            siteEpsilons: siteEpsilons, history: history, noiseMultiplier: noiseMultiplier)
        return try Self.file.write(metadata, vectors: fileVectors, path: path, write)
    }

    /// Whether `bytes` start as a checkpoint file (not a JSON checkpoint of earlier versions).
    static func isFile(_ bytes: Data) -> Bool { file.isFile(bytes) }

    /// The SHA-256 a checkpoint file ends with, as hexadecimal digits: the hash the run log
    /// records for it. Nil when `bytes` are too short to hold one.
    static func recordedDigest(ofFile bytes: Data) -> String? { VectorFile.recordedDigest(ofFile: bytes) }

    /// Reads a checkpoint file.
    ///
    /// - Throws: `.corruptFile` naming `path`: what `VectorFile.read` refuses, a vector no
    ///   checkpoint has, or no global model.
    init(file bytes: Data, path: String) throws(RunStoreError) {
        func corrupt(_ detail: String) -> RunStoreError { RunStoreError(.corruptFile, path: path, detail) }
        let (decoded, vectors) = try Self.file.read(bytes, path: path, as: Metadata.self)
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
}
