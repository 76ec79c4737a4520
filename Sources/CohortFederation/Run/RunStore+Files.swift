import Foundation

/// The files a run store keeps beside its log: each run's latest checkpoint (and the one
/// before) and its final model, checked against the SHA-256 the log recorded for them.
extension RunStore {
    /// The checkpoint of the run's last completed round, nil before its first.
    ///
    /// The file's SHA-256 must be the one the log recorded for that round. (If the
    /// orchestrator stopped between writing a checkpoint and logging it, the file holds the
    /// unlogged next round and the logged one is `checkpoint.previous.bin`, which is then
    /// used.) Checkpoints that earlier versions wrote as JSON (`checkpoint.json`,
    /// `checkpoint.previous.json`) are still read, so a store written by them resumes.
    ///
    /// - Throws: `.unknownRun`; `.corruptFile` naming the file when no checkpoint file
    ///   matches the log, or the matching one is truncated, damaged (its content's SHA-256
    ///   differs from the one it ends with), cannot be decoded, or is of another run or round.
    public func latestCheckpoint(runID: String) throws(RunStoreError) -> RunCheckpoint? {
        let run = try stored(runID)
        guard let expected = run.checkpointHash else { return nil }
        let current = checkpointURL(runID)
        var found: (url: URL, bytes: Data)?
        var seen = [String]()
        let legacy = Self.legacyCheckpointNames.map { runFolder(runID).appendingPathComponent($0) }
        for url in [current, previousCheckpointURL(runID)] + legacy {
            guard let bytes = try StoreFiles.read(url) else { continue }
            // A checkpoint file names its hash in its last 32 bytes (verified below, once
            // chosen); a JSON checkpoint of earlier versions is hashed whole.
            let hash = RunCheckpoint.isFile(bytes) ? RunCheckpoint.recordedDigest(ofFile: bytes) ?? "none" : SHA256.hexDigest(bytes)
            if hash == expected {
                found = (url, bytes)
                break
            }
            seen.append("\(url.lastPathComponent) has \(hash)")
        }
        let line = run.checkpointLine.map { "line \($0)" } ?? "the log"
        guard let found else {
            let what = seen.isEmpty ? "the file is missing" : seen.joined(separator: ", ")
            throw RunStoreError(
                .corruptFile, path: current.path,
                "the checkpoint of round \(run.roundsCompleted) is damaged or missing: \(logURL.lastPathComponent) \(line) "
                    + "recorded SHA-256 \(expected), \(what)")
        }
        let checkpoint: RunCheckpoint
        if RunCheckpoint.isFile(found.bytes) {
            do {
                checkpoint = try RunCheckpoint(file: found.bytes, path: found.url.path)
            } catch {
                throw RunStoreError(
                    error.code, path: error.path,
                    "the checkpoint of round \(run.roundsCompleted) (\(logURL.lastPathComponent) \(line)) is unusable: \(error.detail)")
            }
        } else {
            do {
                checkpoint = try AuditValue.jsonDecoder().decode(RunCheckpoint.self, from: found.bytes)
            } catch {
                throw RunStoreError(.corruptFile, path: found.url.path, "not a readable checkpoint: \(error)")
            }
        }
        guard checkpoint.runID == runID, checkpoint.round == run.roundsCompleted else {
            throw RunStoreError(
                .corruptFile, path: found.url.path,
                "holds round \(checkpoint.round) of run \(checkpoint.runID), the log expects round \(run.roundsCompleted) of \(runID)")
        }
        return checkpoint
    }

    /// The bytes of the run's final model file, nil if it finished without one (or has not
    /// finished).
    ///
    /// - Throws: `.unknownRun`; `.corruptFile` when the file is missing or its SHA-256 is
    ///   not the one the log recorded.
    public func model(runID: String) throws(RunStoreError) -> Data? {
        guard let expected = try stored(runID).modelHash else { return nil }
        let url = modelURL(runID)
        guard let bytes = try StoreFiles.read(url) else {
            throw RunStoreError(.corruptFile, path: url.path, "the model file the log recorded is missing")
        }
        let hash = SHA256.hexDigest(bytes)
        guard hash == expected else {
            throw RunStoreError(.corruptFile, path: url.path, "its SHA-256 is \(hash), the log recorded \(expected): the file is damaged")
        }
        return bytes
    }

    /// `DIRECTORY/runs/RUN-ID`.
    public nonisolated func runFolder(_ runID: String) -> URL {
        directory.appendingPathComponent("runs").appendingPathComponent(runID)
    }

    /// `DIRECTORY/runs/RUN-ID/checkpoint.bin`.
    public nonisolated func checkpointURL(_ runID: String) -> URL {
        runFolder(runID).appendingPathComponent("checkpoint.bin")
    }

    /// `DIRECTORY/runs/RUN-ID/checkpoint.previous.bin`.
    nonisolated func previousCheckpointURL(_ runID: String) -> URL {
        runFolder(runID).appendingPathComponent("checkpoint.previous.bin")
    }

    /// The latest and the previous checkpoint of stores written before the binary format.
    static let legacyCheckpointNames = ["checkpoint.json", "checkpoint.previous.json"]

    /// `DIRECTORY/runs/RUN-ID/model.safetensors`.
    public nonisolated func modelURL(_ runID: String) -> URL {
        runFolder(runID).appendingPathComponent("model.safetensors")
    }
}
