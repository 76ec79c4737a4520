import Foundation

/// The orchestrator's durable state, in one folder: the runs it was given, where each
/// stands, their rounds, refusals and outcomes, the latest checkpoint of each run's global
/// model, and the final models.
///
/// ```
/// DIRECTORY/
///   runs.log                          one JSON line per event, hash-chained (see RunLog)
///   runs.lock                         held while a store is open
///   runs/run-0007/checkpoint.bin      the latest checkpoint (a RunCheckpoint, RunCheckpoint+File.swift)
///   runs/run-0007/checkpoint.previous.bin    the one before
///   runs/run-0007/model.safetensors   the final model
/// ```
///
/// `runs.log` is append-only and in the site audit log's line format (`AuditEntry`): each
/// line carries the SHA-256 of its content and of the line before, and is synced before
/// the call that wrote it returns. A line records the SHA-256 of the checkpoint or model
/// file it refers to, which is written (atomically, synced) before the line. Opening a
/// store replays the log: a torn last line (a crash mid-append) is dropped; any other damage
/// is an error naming the line. So after a restart `unfinishedRuns()` lists what to resume,
/// `latestCheckpoint(runID:)` where, and the privacy ledgers in the checkpoint are those of
/// the last completed round: no round's budget is charged twice.
///
/// ```swift
/// let store = try RunStore(directory: folder)
/// let run = try await store.submit(submission)
/// try await store.markRunning(run.id)
/// _ = try await engine.run(sites: sites, resumingFrom: try await store.latestCheckpoint(runID: run.id),
///                          checkpoint: { try await store.recordRound(run.id, checkpoint: $0) })
/// ```
///
/// An actor: calls are serialised, and none suspends inside, so each is one step. A second
/// store on the same folder, in this process or another, is refused while one is open.
public actor RunStore {
    /// The store's folder.
    public nonisolated let directory: URL
    private let file: AuditFile
    private let lock: StoreLock
    private let now: @Sendable () -> Date
    private var log = RunLog()
    /// Lines in `runs.log`.
    public private(set) var count: Int
    /// The SHA-256 of the last line of `runs.log` (64 zeros when empty): kept elsewhere, it
    /// anchors the whole chain.
    public private(set) var head: String

    /// `DIRECTORY/runs.log`.
    public nonisolated var logURL: URL { directory.appendingPathComponent("runs.log") }

    /// Opens the store in `directory`, creating it if absent, and replays its log.
    ///
    /// A last line without its newline or whose hash does not match (a crash mid-append) is
    /// dropped, and the file cut back to the line before.
    ///
    /// - Parameter now: the clock for log lines' `time` (tests pass a fixed one).
    /// - Throws: `RunStoreError` `.brokenLog` naming the file and line when a line before the
    ///   last is damaged or out of the chain, or records something impossible; `.locked`
    ///   when the store is open elsewhere; `.unreadableFile` or `.writeFailed`.
    public init(directory: URL, now: @escaping @Sendable () -> Date = { Date() }) throws(RunStoreError) {
        try StoreFiles.createFolder(directory.appendingPathComponent("runs"))
        let lock = try StoreLock(directory.appendingPathComponent("runs.lock"))
        let path = directory.appendingPathComponent("runs.log").path
        let file: AuditFile
        do {
            file = try AuditFile(path: path, kind: "run log")
        } catch {
            throw RunStoreError(.unreadableFile, path: path, error.detail)
        }
        let bytes: [UInt8]
        do {
            bytes = try file.readAll()
        } catch {
            throw RunStoreError(.unreadableFile, path: path, error.detail)
        }
        let chain = AuditChain(bytes)
        if let broken = chain.broken {
            guard broken.isDamagedLine, broken.line == chain.lineCount else {
                throw RunStoreError(.brokenLog, path: path, line: broken.line, broken.reason)
            }
            // A torn last line: the append it belonged to never returned.
            do {
                try file.truncate(to: chain.intactBytes)
            } catch {
                throw RunStoreError(.writeFailed, path: path, error.detail)
            }
        }
        var log = RunLog()
        for entry in chain.entries {
            do {
                try log.apply(entry)
            } catch {
                throw RunStoreError(.brokenLog, path: path, line: entry.seq, "\(entry.event): \(error.detail)")
            }
        }
        self.directory = directory
        self.file = file
        self.lock = lock
        self.now = now
        self.log = log
        self.count = chain.entries.count
        self.head = chain.head
    }

    // MARK: - Changes

    /// Records a new run, queued, under the next id (`run-0001-TOKEN`, `run-0002-TOKEN`, …;
    /// ids are never reused, across restarts too, and TOKEN, random per store, keeps them
    /// apart from another orchestrator's or a fresh state directory's).
    public func submit(_ submission: RunSubmission) throws(RunStoreError) -> StoredRun {
        let id = log.nextID
        try StoreFiles.createFolder(runFolder(id))
        try append(RunLog.submitted, ["run": .string(id), "submission": try value(submission)])
        return try stored(id)
    }

    /// Marks a queued run as running, or records that a running one resumed after a restart.
    public func markRunning(_ runID: String) throws(RunStoreError) {
        let run = try stored(runID)
        try append(RunLog.started, ["run": .string(runID), "after_round": .integer(run.roundsCompleted)])
    }

    /// Records that a running run completed `checkpoint.round` (the next round after its
    /// last): writes the checkpoint file durably (`checkpoint.bin`, see
    /// `RunCheckpoint+File.swift`), then appends the round's line with the SHA-256 the file
    /// ends with and the round's record.
    ///
    /// - Throws: `.invalidChange` when the run is not running, the checkpoint is of another
    ///   run, or not of the next round.
    public func recordRound(_ runID: String, checkpoint: RunCheckpoint) throws(RunStoreError) {
        try recordRound(runID, checkpoint: checkpoint, asLegacyJSON: false)
    }

    /// `recordRound(_:checkpoint:)`; with `asLegacyJSON`, the checkpoint is written as stores
    /// before the binary format wrote it (`checkpoint.json`, the log recording the whole
    /// file's SHA-256), so tests can make such a store and check that it still resumes.
    func recordRound(_ runID: String, checkpoint: RunCheckpoint, asLegacyJSON: Bool) throws(RunStoreError) {
        guard checkpoint.runID == runID else {
            throw RunStoreError(.invalidChange, path: logURL.path, "a checkpoint of run \(checkpoint.runID) cannot be recorded for run \(runID)")
        }
        guard let record = checkpoint.history.last, record.round == checkpoint.round else {
            throw RunStoreError(.invalidChange, path: logURL.path, "the checkpoint of round \(checkpoint.round) of run \(runID) has no record of that round")
        }
        var details: [String: AuditValue] = [
            "run": .string(runID), "round": .integer(checkpoint.round), "record": try value(record),
        ]
        if asLegacyJSON {
            let url = runFolder(runID).appendingPathComponent(Self.legacyCheckpointNames[0])
            let bytes: Data
            do {
                bytes = try AuditValue.jsonEncoder().encode(checkpoint)
            } catch {
                throw RunStoreError(.writeFailed, path: url.path, "cannot encode the checkpoint: \(error)")
            }
            details["checkpoint"] = .string(SHA256.hexDigest(bytes))
            try append(RunLog.roundCompleted, details) { () throws(RunStoreError) in
                try StoreFiles.writeDurably(
                    bytes, to: url, keepingPrevious: runFolder(runID).appendingPathComponent(Self.legacyCheckpointNames[1]))
            }
            return
        }
        let url = checkpointURL(runID)
        // The line names the file's hash, known only once the file is written: the line is
        // checked against the runs' state first, so a refused change writes no file.
        try check(RunLog.roundCompleted, details.merging(["checkpoint": .string(String(repeating: "0", count: 64))]) { $1 })
        var digest = ""
        try StoreFiles.writeDurably(to: url, keepingPrevious: previousCheckpointURL(runID)) { (file: StoreFiles.FileWriter) throws(RunStoreError) in
            digest = try checkpoint.writeFile(path: url.path) { (bytes: UnsafeRawBufferPointer) throws(RunStoreError) in try file.write(bytes) }
        }
        details["checkpoint"] = .string(digest)
        try append(RunLog.roundCompleted, details)
        // A store that earlier versions wrote: once a binary checkpoint is logged, their JSON
        // checkpoints are never read again.
        for name in Self.legacyCheckpointNames {
            _ = try? FileManager.default.removeItem(at: runFolder(runID).appendingPathComponent(name))
        }
    }

    /// Records a refusal of the run's task, with its reasons and the audit head the site sent
    /// with it (`audit_head`), or why that head was dropped (`audit_head_dropped`): the head
    /// of a refused preprocessing has no round record to keep it, so this line does.
    public func recordRefusal(_ runID: String, _ refusal: RunRefusal) throws(RunStoreError) {
        var details: [String: AuditValue] = [
            "run": .string(runID), "site": .string(refusal.site), "round": .integer(refusal.round),
            "reasons": .list(refusal.reasons.map { .string($0) }),
        ]
        if let head = refusal.auditHead { details["audit_head"] = try value(head) }
        if let dropped = refusal.droppedAuditHead { details["audit_head_dropped"] = .string(dropped) }
        try append(RunLog.siteRefused, details)
    }

    /// Ends a queued or running run as `state` (completed, cancelled or failed), saying why,
    /// with the final model file's bytes if there is one (written durably before the line).
    public func finish(_ runID: String, state: RunState, message: String?, model: Data? = nil) throws(RunStoreError) {
        let details: [String: AuditValue] = [
            "run": .string(runID), "state": .string(state.rawValue), "message": message.map { .string($0) } ?? .null,
            "model": model.map { .string(SHA256.hexDigest($0)) } ?? .null,
        ]
        try append(RunLog.finished, details) { () throws(RunStoreError) in
            if let model { try StoreFiles.writeDurably(model, to: modelURL(runID)) }
        }
    }

    /// Cancels a queued or running run.
    public func cancel(_ runID: String, message: String? = nil) throws(RunStoreError) {
        try finish(runID, state: .cancelled, message: message ?? "cancelled")
    }

    // MARK: - Queries

    /// Every run, newest first.
    public func runs() -> [StoredRun] {
        log.order.reversed().compactMap { log.runs[$0] }
    }

    /// The run with this id, if there is one.
    public func run(id: String) -> StoredRun? {
        log.runs[id]
    }

    /// Runs still to do, queued or running, oldest first: after a restart, the ones to resume.
    public func unfinishedRuns() -> [StoredRun] {
        log.order.compactMap { log.runs[$0] }.filter { !$0.state.isFinished }
    }

    // MARK: - Internals

    /// The run with this id, or `.unknownRun`.
    func stored(_ runID: String) throws(RunStoreError) -> StoredRun {
        guard let run = log.runs[runID] else { throw RunStoreError(.unknownRun, path: logURL.path, "no run has the id \(runID)") }
        return run
    }

    private func value(_ encodable: some Encodable) throws(RunStoreError) -> AuditValue {
        do {
            return try AuditValue(encoding: encodable)
        } catch {
            throw RunStoreError(.writeFailed, path: logURL.path, "cannot encode \(type(of: encodable)): \(error)")
        }
    }

    /// Checks an event against the runs' state without appending it: the line it would be,
    /// and the state after it.
    @discardableResult
    private func check(_ event: AuditEvent, _ details: [String: AuditValue]) throws(RunStoreError)
        -> (entry: AuditEntry, next: RunLog) {
        let entry = AuditEntry(seq: count + 1, time: AuditLog.timestamp(now()), event: event, details: details, prev: head)
        var next = log
        do {
            try next.apply(entry)
        } catch {
            throw RunStoreError(error.code, path: logURL.path, error.detail)
        }
        return (entry, next)
    }

    /// Appends one event: checks it against the runs' state, runs `before` (writing the
    /// file the line refers to), appends and syncs the line, then applies it.
    private func append(
        _ event: AuditEvent, _ details: [String: AuditValue], before: () throws(RunStoreError) -> Void = {}
    ) throws(RunStoreError) {
        let (entry, next) = try check(event, details)
        try before()
        do {
            try file.append(Array(entry.line.utf8) + [UInt8(ascii: "\n")])
        } catch {
            throw RunStoreError(.writeFailed, path: logURL.path, error.detail)
        }
        log = next
        count = entry.seq
        head = entry.lineHash
    }
}
