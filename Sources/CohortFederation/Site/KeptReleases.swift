import CohortData
import Foundation

/// What a site released for each run, kept in `STATE/sent/` so that a release asked again
/// (the orchestrator restarted in the middle of a round, the site restarted, or the run was
/// let go while idle and its orchestrator came back) is answered with the same bytes: resending
/// a release discloses nothing new and costs no privacy, where computing it again would be
/// a second noised release of the same data.
///
/// Per run, the latest training update (`RUN.update`, a `VectorFile` "COHORTUP": the update's
/// fields and the run's plan hash, the round, and the SHA-256 of the global model it answers,
/// then the delta) and the noised preprocessing aggregates (`RUN.aggregates.json`). Only
/// what has left, or is about to leave, the site is kept: noised, clipped releases, never
/// rows. A kept release answers only the same question: the same run, plan hash and round,
/// and for an update the same global model (run ids restart at run-0001 when an
/// orchestrator's state is wiped). Files are written durably (temporary file, synced,
/// renamed) and removed when the orchestrator says the run ended.
struct KeptReleases {
    let directory: URL

    static let updateFile = VectorFile(magic: "COHORTUP", version: 1, kind: "kept update", reader: "this site")

    /// What a lookup found.
    enum Lookup<Value> {
        /// Nothing kept for this run (or this kind of release).
        case none
        /// The release kept for exactly this question.
        case kept(Value)
        /// A release kept for this run that answers another question (the reason says how).
        case different(String)
        /// A kept file that cannot be read (the error says why).
        case unreadable(String)
    }

    private struct UpdateMetadata: VectorFileMetadata {
        var runID: String
        var planHash: String
        var round: Int
        var globalSHA256: String
        var records: Int
        var steps: Int
        var trainingLoss: Double
        var siteEpsilon: Double?
        var unclippedSignal: Double?
        var vectors: [VectorFile.Entry] = []

        private enum CodingKeys: String, CodingKey {
            case runID = "run_id"
            case planHash = "plan_hash"
            case round
            case globalSHA256 = "global_sha256"
            case records
            case steps
            case trainingLoss = "training_loss"
            case siteEpsilon = "site_epsilon"
            case unclippedSignal = "unclipped_signal"
            case vectors
        }
    }

    private struct KeptAggregates: Codable {
        var runID: String
        var planHash: String
        var aggregates: FeatureAggregates

        private enum CodingKeys: String, CodingKey {
            case runID = "run_id"
            case planHash = "plan_hash"
            case aggregates
        }
    }

    init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func updateURL(runID: String) -> URL { directory.appendingPathComponent("\(runID).update") }
    func aggregatesURL(runID: String) -> URL { directory.appendingPathComponent("\(runID).aggregates.json") }

    /// The SHA-256 of a global model's float32 values (little-endian), as hexadecimal digits.
    static func digest(ofGlobal global: [Float]) -> String {
        var hasher = SHA256()
        #if _endian(little)
        global.withUnsafeBytes { hasher.update($0) }
        #else
        global.map { $0.bitPattern.littleEndian }.withUnsafeBytes { hasher.update($0) }
        #endif
        return SHA256.hex(hasher.finalize())
    }

    /// Keeps `update`, the answer to round `round` of `runID` from the global model whose
    /// digest is `globalSHA256`, in place of the run's previous one.
    func keep(_ update: SiteUpdate, runID: String, planHash: String, round: Int, globalSHA256: String) throws(RunStoreError) {
        let url = updateURL(runID: runID)
        let metadata = UpdateMetadata(
            runID: runID, planHash: planHash.lowercased(), round: round, globalSHA256: globalSHA256, records: update.records,
            steps: update.steps, trainingLoss: update.trainingLoss, siteEpsilon: update.siteEpsilon,
            unclippedSignal: update.unclippedSignal)
        try StoreFiles.writeDurably(to: url) { (file: StoreFiles.FileWriter) throws(RunStoreError) in
            _ = try Self.updateFile.write(metadata, vectors: [("delta", update.delta)], path: url.path) {
                (bytes: UnsafeRawBufferPointer) throws(RunStoreError) in try file.write(bytes)
            }
        }
    }

    /// The update kept for round `round` of `runID` from the global model `globalSHA256`.
    func update(runID: String, planHash: String, round: Int, globalSHA256: String) -> Lookup<SiteUpdate> {
        let url = updateURL(runID: runID)
        let bytes: Data
        do {
            guard let read = try StoreFiles.read(url) else { return .none }
            bytes = read
        } catch {
            return .unreadable(error.description)
        }
        let metadata: UpdateMetadata, vectors: [String: [Float]]
        do {
            (metadata, vectors) = try Self.updateFile.read(bytes, path: url.path, as: UpdateMetadata.self)
        } catch {
            return .unreadable(error.description)
        }
        guard let delta = vectors["delta"], vectors.count == 1, metadata.runID == runID else {
            return .unreadable("\(url.path) holds no update of run \(runID)")
        }
        if metadata.planHash != planHash.lowercased() {
            return .different("the kept update answers plan \(metadata.planHash.prefix(12))…, this task's plan is \(planHash.lowercased().prefix(12))…")
        }
        if metadata.round != round { return .different("the kept update answers round \(metadata.round), not round \(round)") }
        if metadata.globalSHA256 != globalSHA256 {
            return .different("the kept update of round \(round) answers another global model (SHA-256 \(metadata.globalSHA256.prefix(12))…, "
                              + "this task's is \(globalSHA256.prefix(12))…)")
        }
        return .kept(SiteUpdate(
            delta: delta, records: metadata.records, steps: metadata.steps, trainingLoss: metadata.trainingLoss,
            siteEpsilon: metadata.siteEpsilon, unclippedSignal: metadata.unclippedSignal))
    }

    /// Keeps the noised preprocessing aggregates of `runID`.
    func keep(_ aggregates: FeatureAggregates, runID: String, planHash: String) throws(RunStoreError) {
        let url = aggregatesURL(runID: runID)
        let data: Data
        do {
            data = try AuditValue.jsonEncoder().encode(KeptAggregates(runID: runID, planHash: planHash.lowercased(), aggregates: aggregates))
        } catch {
            throw RunStoreError(.writeFailed, path: url.path, "cannot encode the aggregates: \(error)")
        }
        try StoreFiles.writeDurably(data, to: url)
    }

    /// The noised preprocessing aggregates kept for `runID`.
    func aggregates(runID: String, planHash: String) -> Lookup<FeatureAggregates> {
        let url = aggregatesURL(runID: runID)
        let kept: KeptAggregates
        do {
            guard let data = try StoreFiles.read(url) else { return .none }
            kept = try AuditValue.jsonDecoder().decode(KeptAggregates.self, from: data)
        } catch {
            return .unreadable("\(url.path) cannot be read: \(error)")
        }
        guard kept.runID == runID else { return .unreadable("\(url.path) holds the aggregates of run \(kept.runID), not \(runID)") }
        guard kept.planHash == planHash.lowercased() else {
            return .different("the kept aggregates answer plan \(kept.planHash.prefix(12))…, this task's plan is \(planHash.lowercased().prefix(12))…")
        }
        return .kept(kept.aggregates)
    }

    /// Removes what is kept for `runID`; whether there was anything.
    @discardableResult
    func remove(runID: String) -> Bool {
        var removed = false
        for url in [updateURL(runID: runID), aggregatesURL(runID: runID)] {
            if (try? FileManager.default.removeItem(at: url)) != nil { removed = true }
        }
        return removed
    }
}
