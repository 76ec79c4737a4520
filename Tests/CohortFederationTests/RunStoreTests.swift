import CohortData
import CohortLearn
import CohortPrivacy
import Foundation
import Testing
@testable import CohortFederation

/// A fresh folder for one store.
private func temporaryStoreFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// 2025-06-01T09:30:00Z, plus `seconds`.
private func fixedClock(_ seconds: Double = 0) -> @Sendable () -> Date {
    { Date(timeIntervalSince1970: 1_748_770_200 + seconds) }
}

private func submission(_ name: String = "wdbc-lr", by researcher: String = "researcher-1") throws -> RunSubmission {
    let yaml = "name: \(name)\nrounds: 3\n"
    return RunSubmission(
        planYAML: yaml, planHash: SHA256.hexDigest(of: yaml), planName: name, roundsPlanned: 3,
        modelDefinition: try EngineFixtures.definition(EngineFixtures.logisticRegression),
        schema: try EngineFixtures.schema("breast_cancer_wdbc"), submittedBy: researcher)
}

/// A run submitted to `store`, marked running, with the checkpoints of rounds 1 through
/// `rounds` recorded (in the JSON form of earlier versions with `asLegacyJSON`); its id.
private func runningRun(in store: RunStore, rounds: Int, asLegacyJSON: Bool = false) async throws -> String {
    let id = try await store.submit(try submission()).id
    try await store.markRunning(id)
    for round in stride(from: 1, through: rounds, by: 1) {
        try await store.recordRound(id, checkpoint: try checkpoint(id, round: round), asLegacyJSON: asLegacyJSON)
    }
    return id
}

/// A checkpoint of `runID` after `round` rounds, with a small model and a site-unit ledger.
private func checkpoint(_ runID: String, round: Int) throws -> RunCheckpoint {
    var ledger = PrivacyLedger(unit: .site)
    var history = [RoundRecord]()
    for r in stride(from: 1, through: round, by: 1) {
        try ledger.charge(PrivacyCharge(id: "\(runID)/round-\(r)", label: "round \(r)", samplingRate: 0.5, noiseMultiplier: 1, steps: 1))
        history.append(RoundRecord(
            round: r, sampled: ["a", "b"], answered: ["a"], dropped: ["b": "missed the round's deadline of 5 s"],
            trainingLoss: 0.5 / Double(r), evaluationLoss: nil, accuracy: 0.1 * Double(r), auroc: nil, macroF1: nil,
            evaluationRecords: nil, perSite: nil, epsilon: ["run": ledger.epsilon(delta: 1e-5).epsilon], seconds: 0.25,
            bytesSent: 8, bytesReceived: 4))
    }
    return RunCheckpoint(
        runID: runID, round: round, global: [0.1, -2.5e-8, Float(round)],
        preprocessing: PreprocessingStatistics(rowCount: 10, features: []),
        strategy: StrategyState(strategy: "fedavgm", rounds: round, velocity: [0.3, 0.2, Float.leastNonzeroMagnitude]),
        runLedger: ledger, siteEpsilons: [:], history: history)
}

private func logLines(_ folder: URL) throws -> [String] {
    try String(contentsOf: folder.appendingPathComponent("runs.log"), encoding: .utf8)
        .split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
}

private func writeLog(_ lines: [String], to folder: URL) throws {
    try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("runs.log"), atomically: true, encoding: .utf8)
}

/// The error opening a store in `folder` throws.
private func openingError(_ folder: URL) -> RunStoreError? {
    do {
        _ = try RunStore(directory: folder)
        return nil
    } catch {
        return error
    }
}

@Suite("Run store: the orchestrator's durable runs, rounds and checkpoints")
struct RunStoreTests {
    @Test("a refusal's audit head, or why it was dropped, is in its runs.log line and reads back after reopening")
    func refusalHeadsAreDurable() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let head = AuditHead(events: 12, head: SHA256.hexDigest(of: "line 12"))
        do {
            let store = try RunStore(directory: folder, now: fixedClock())
            let id = try await runningRun(in: store, rounds: 0)
            try await store.recordRefusal(id, RunRefusal(site: "hospital-c", round: 0, reasons: ["too little noise"], sentHead: head))
            try await store.recordRefusal(id, RunRefusal(site: "hospital-d", round: 0, reasons: ["too little noise"],
                                                         sentHead: AuditHead(events: 0, head: head.head)))
        }
        let lines = try logLines(folder)
        #expect(lines[2].contains(#""audit_head":{"events":12,"head":"\#(head.head)"}"#), "\(lines[2])")
        #expect(lines[3].contains(#""audit_head_dropped":"audit head dropped: events must be at least 1, got 0""#), "\(lines[3])")
        #expect(!lines[3].contains(#""audit_head":"#))
        let refusals = try #require(await RunStore(directory: folder).run(id: runID(1, in: folder))?.refusals)
        #expect(refusals.map { $0.auditAnchor(run: "run-1") }
                    == [AuditAnchor(run: "run-1", round: 0, site: "hospital-c", events: 12, hash: head.head), nil])
        #expect(refusals.map(\.droppedAuditHead) == [nil, "audit head dropped: events must be at least 1, got 0"])
    }

    @Test("runs, rounds, refusals, outcomes and files read back the same after reopening")
    func roundTripThroughReopen() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = Data("model bytes \u{1}\u{2}".utf8)
        let before: [StoredRun]
        do {
            let store = try RunStore(directory: folder, now: fixedClock())
            let first = try await store.submit(try submission())
            let second = try await store.submit(try submission("other", by: "researcher-2"))
            #expect(first.id == runID(1, in: folder) && second.id == runID(2, in: folder))
            #expect(first.state == .queued && first.roundsCompleted == 0)
            try await store.markRunning(first.id)
            try await store.recordRound(first.id, checkpoint: try checkpoint(first.id, round: 1))
            try await store.recordRefusal(first.id, RunRefusal(site: "hospital-c", round: 2, reasons: ["model kind mlp is not allowed"]))
            try await store.recordRound(first.id, checkpoint: try checkpoint(first.id, round: 2))
            try await store.finish(first.id, state: .completed, message: "2 rounds", model: model)
            try await store.cancel(second.id, message: "cancelled by researcher-2")
            before = await store.runs()
            #expect(await store.count == 8)
            #expect(try AuditLog.verify(fileAt: store.logURL) == .ok(events: 8, head: await store.head))
        }
        let store = try RunStore(directory: folder)
        let after = await store.runs()
        #expect(after == before)
        #expect(after.map(\.id) == [runID(2, in: folder), runID(1, in: folder)])
        let first = try #require(await store.run(id: runID(1, in: folder)))
        #expect(first.state == .completed && first.message == "2 rounds")
        let expected = try checkpoint(runID(1, in: folder), round: 2)
        #expect(first.roundsCompleted == 2 && first.history == expected.history)
        #expect(first.refusals == [RunRefusal(site: "hospital-c", round: 2, reasons: ["model kind mlp is not allowed"])])
        #expect(try first.submission == submission())
        #expect(first.submitted == fixedClock()())
        #expect(after[0].state == .cancelled && after[0].message == "cancelled by researcher-2")
        #expect(try await store.model(runID: runID(1, in: folder)) == model)
        #expect(try await store.model(runID: runID(2, in: folder)) == nil)
        #expect(try await store.latestCheckpoint(runID: runID(1, in: folder)) == checkpoint(runID(1, in: folder), round: 2))
        #expect(try await store.latestCheckpoint(runID: runID(2, in: folder)) == nil)
        #expect(await store.unfinishedRuns().isEmpty)
    }

    @Test("two fresh stores give their first runs different ids: sites key their ledgers by run id")
    func idsDifferAcrossStores() async throws {
        var ids = Set<String>()
        for _ in 0..<3 {
            let folder = try temporaryStoreFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let id = try await RunStore(directory: folder).submit(try submission()).id
            #expect(id.hasPrefix("run-0001-") && id.count == "run-0001-".count + 8, "\(id)")
            ids.insert(id)
        }
        #expect(ids.count == 3)
    }

    @Test("ids increase and are never reused after reopening")
    func idsStayUniqueAfterReopen() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let store = try RunStore(directory: folder)
            for _ in 0..<2 { _ = try await store.submit(try submission()) }
            try await store.cancel(runID(2, in: folder))
        }
        let store = try RunStore(directory: folder)
        let third = try await store.submit(try submission())
        #expect(third.id == runID(3, in: folder))
        #expect(await store.runs().map(\.id) == [runID(3, in: folder), runID(2, in: folder), runID(1, in: folder)])
        #expect(await store.unfinishedRuns().map(\.id) == [runID(1, in: folder), runID(3, in: folder)])
    }

    @Test("a restart mid-run reports it running at its last completed round; resumed, it ends as an uninterrupted run")
    func restartMidRun() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 3)
        let sites = tables.enumerated().map { InMemorySite(name: "s\($0.offset)", table: $0.element, seed: UInt64($0.offset)) }
        let privacy = TaskPrivacy(unit: .site, deltaClipNorm: 1, noiseMultiplier: 0.9, noiseSeed: 8, delta: 1e-5)
        func configuration(_ runID: String) throws -> FederationConfiguration {
            FederationConfiguration(
                runID: runID, definition: try EngineFixtures.definition(EngineFixtures.logisticRegression),
                schema: try EngineFixtures.schema("breast_cancer_wdbc"), rounds: 4,
                sampling: SiteSampling(size: .count(2), minimum: 2), local: LocalWork(epochs: 1, batchSize: 32),
                privacy: privacy, evaluateEvery: 2, seed: 3)
        }
        struct Crash: Error {}

        let runID: String
        do {
            let store = try RunStore(directory: folder)
            runID = try await store.submit(try submission()).id
            try await store.markRunning(runID)
            var engine = RoundEngine(configuration: try configuration(runID), strategy: try FedAdam(tau: 1e-2))
            await #expect(throws: Crash.self) {
                _ = try await engine.run(sites: sites, checkpoint: { checkpoint in
                    try await store.recordRound(runID, checkpoint: checkpoint)
                    if checkpoint.round == 2 { throw Crash() }
                })
            }
        }

        let store = try RunStore(directory: folder)
        let stored = try #require(await store.run(id: runID))
        #expect(stored.state == .running)
        #expect(stored.roundsCompleted == 2 && stored.history.map(\.round) == [1, 2])
        #expect(await store.unfinishedRuns().map(\.id) == [runID])
        let checkpoint = try #require(try await store.latestCheckpoint(runID: runID))
        #expect(checkpoint.round == 2 && checkpoint.runLedger.charges.count == 2)

        try await store.markRunning(runID)
        var resumed = RoundEngine(configuration: try configuration(runID), strategy: try FedAdam(tau: 1e-2))
        let result = try await resumed.run(sites: sites, resumingFrom: checkpoint, checkpoint: { checkpoint in
            try await store.recordRound(runID, checkpoint: checkpoint)
        })
        let weights = result.model.network.parameters.flattened()
        try await store.finish(runID, state: .completed, message: nil, model: Data(weights.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }))
        #expect(await store.run(id: runID)?.roundsCompleted == 4)
        #expect(await store.run(id: runID)?.state == .completed)

        // The same run without a restart, on fresh sites.
        let freshSites = tables.enumerated().map { InMemorySite(name: "s\($0.offset)", table: $0.element, seed: UInt64($0.offset)) }
        var whole = RoundEngine(configuration: try configuration(runID), strategy: try FedAdam(tau: 1e-2))
        let expected = try await whole.run(sites: freshSites)
        #expect(weights.map(\.bitPattern) == expected.model.network.parameters.flattened().map(\.bitPattern))
        #expect(resumed.runLedger == whole.runLedger)
        #expect(resumed.runLedger.charges.map(\.id) == (1...4).map { "\(runID)/round-\($0)" })
        #expect(await store.run(id: runID)?.history.map(\.epsilon) == expected.history.map(\.epsilon))
    }

    @Test("a torn last line (no newline, or a bad hash) is dropped and the file cut back to the line before")
    func tornLastLineIsRecovered() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("runs.log")
        do {
            let store = try RunStore(directory: folder)
            _ = try await store.submit(try submission())
            try await store.markRunning(runID(1, in: folder))
        }
        let intact = try Data(contentsOf: log)

        // A crash mid-append: half a line, no newline.
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"seq":3,"time":"2025-06-01T09:30:00.000Z","event":"round_compl"#.utf8))
        try handle.close()
        do {
            let store = try RunStore(directory: folder)
            #expect(await store.count == 2)
            #expect(await store.run(id: runID(1, in: folder))?.state == .running)
            #expect(try Data(contentsOf: log) == intact)
            try await store.recordRefusal(runID(1, in: folder), RunRefusal(site: "a", round: 1, reasons: ["budget"]))
        }
        #expect(AuditLog.verify(Array(try Data(contentsOf: log))).isIntact)

        // A whole last line whose content no longer matches its hash.
        var lines = try logLines(folder)
        lines[2] = lines[2].replacingOccurrences(of: "budget", with: "budgeT")
        try writeLog(lines, to: folder)
        let store = try RunStore(directory: folder)
        #expect(await store.count == 2)
        #expect(await store.run(id: runID(1, in: folder))?.refusals == [])
        #expect(try Data(contentsOf: log) == intact)
    }

    @Test("an edited line before the last is an error naming the file and line")
    func editedMiddleLineIsDetected() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let store = try RunStore(directory: folder)
            _ = try await store.submit(try submission())
            try await store.markRunning(runID(1, in: folder))
            try await store.recordRound(runID(1, in: folder), checkpoint: try checkpoint(runID(1, in: folder), round: 1))
            try await store.recordRound(runID(1, in: folder), checkpoint: try checkpoint(runID(1, in: folder), round: 2))
        }
        let original = try logLines(folder)
        var edited = original
        edited[2] = edited[2].replacingOccurrences(of: #""answered":["a"]"#, with: #""answered":["a","b"]"#)
        #expect(edited != original)
        try writeLog(edited, to: folder)
        let error = try #require(openingError(folder))
        #expect(error.code == .brokenLog)
        #expect(error.line == 3)
        #expect(error.path == folder.appendingPathComponent("runs.log").path)
        #expect(error.description == "\(folder.appendingPathComponent("runs.log").path):3: hash does not match its content (edited?)")

        // A deleted line breaks the chain at the line after it.
        var deleted = original
        deleted.remove(at: 1)
        try writeLog(deleted, to: folder)
        let chain = try #require(openingError(folder))
        #expect(chain.code == .brokenLog && chain.line == 2)
        #expect(chain.detail == "prev does not match line 1 (deleted, inserted or reordered?)")
    }

    @Test("a checkpoint file whose SHA-256 is not the log's is refused; one logged round behind is found in the previous file")
    func corruptedCheckpointIsRefused() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(directory: folder)
        let id = try await runningRun(in: store, rounds: 2)

        // The orchestrator stopped after writing round 3's checkpoint, before logging it.
        let unlogged = try checkpoint(id, round: 3)
        try StoreFiles.writeDurably(to: store.checkpointURL(id), keepingPrevious: store.previousCheckpointURL(id)) { file throws(RunStoreError) in
            _ = try unlogged.writeFile(path: "") { bytes throws(RunStoreError) in try file.write(bytes) }
        }
        #expect(try await store.latestCheckpoint(runID: id) == (try checkpoint(id, round: 2)))

        // Both files damaged in their payload: the logged one is named, with what is wrong.
        for url in [store.checkpointURL(id), store.previousCheckpointURL(id)] {
            var bytes = try Data(contentsOf: url)
            bytes[bytes.count - 40] ^= 0x01
            try bytes.write(to: url)
        }
        let error = await #expect(throws: RunStoreError.self) { try await store.latestCheckpoint(runID: id) }
        #expect(error?.code == .corruptFile)
        #expect(error?.path == store.previousCheckpointURL(id).path)
        #expect(error?.detail.hasPrefix("the checkpoint of round 2 (runs.log line 4) is unusable: damaged: the SHA-256 of its content is") == true)

        // Its trailer damaged too: no file matches the log.
        var bytes = try Data(contentsOf: store.previousCheckpointURL(id))
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: store.previousCheckpointURL(id))
        let unmatched = await #expect(throws: RunStoreError.self) { try await store.latestCheckpoint(runID: id) }
        #expect(unmatched?.path == store.checkpointURL(id).path)
        #expect(unmatched?.detail.contains("the checkpoint of round 2 is damaged or missing: runs.log line 4 recorded SHA-256") == true)

        try FileManager.default.removeItem(at: store.checkpointURL(id))
        try FileManager.default.removeItem(at: store.previousCheckpointURL(id))
        let missing = await #expect(throws: RunStoreError.self) { try await store.latestCheckpoint(runID: id) }
        #expect(missing?.detail.hasSuffix("the file is missing") == true)
    }

    @Test("a truncated checkpoint is named as truncated, with the sizes")
    func truncatedCheckpointIsNamed() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(directory: folder)
        let id = try await runningRun(in: store, rounds: 1)
        let url = store.checkpointURL(id)
        let whole = try Data(contentsOf: url)
        // Cut inside the payload, keeping the last 32 bytes the log recorded (a torn copy).
        try (whole.prefix(whole.count - 44) + whole.suffix(32)).write(to: url)
        let error = await #expect(throws: RunStoreError.self) { try await store.latestCheckpoint(runID: id) }
        #expect(error?.code == .corruptFile)
        #expect(error?.path == url.path)
        #expect(error?.detail.hasSuffix("truncated: its header and metadata announce \(whole.count) bytes, the file has \(whole.count - 12)") == true)
    }

    @Test("the checkpoint file holds the model and the strategy's vectors bit for bit, as raw float32 after a small header")
    func checkpointFileRoundTrip() throws {
        var original = try checkpoint("run-0001-abcdef01", round: 2)
        original.global = [0, -0.0, 1e-42, .greatestFiniteMagnitude, -3.25] + (0..<1_000).map { Float($0) * 0.001 }
        original.strategy = StrategyState(
            strategy: "fedadam", rounds: 2, firstMoment: original.global.map { $0 / 2 }, secondMoment: original.global.map { abs($0) })
        original.siteEpsilons = ["hospital-a": 1.25]
        var file = Data()
        let digest = try original.writeFile(path: "test") { bytes throws(RunStoreError) in file.append(contentsOf: bytes) }
        #expect(file.prefix(8) == Data("COHORTCK".utf8))
        #expect(SHA256.hexDigest(file.dropLast(32)) == digest)
        #expect(RunCheckpoint.recordedDigest(ofFile: file) == digest)
        // Three vectors of 1,005 floats, raw, right before the trailer.
        let payload = file.dropLast(32).suffix(3 * 1_005 * 4)
        let global = payload.prefix(1_005 * 4).withUnsafeBytes { raw in (0..<1_005).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        #expect(global.map(\.bitPattern) == original.global.map(\.bitPattern))
        let decoded = try RunCheckpoint(file: file, path: "test")
        #expect(decoded == original)
        #expect(decoded.global.map(\.bitPattern) == original.global.map(\.bitPattern))

        var future = file
        future[8] = 2
        #expect(throws: RunStoreError(.corruptFile, path: "future", "checkpoint format version 2; this orchestrator reads version 1")) {
            try RunCheckpoint(file: future, path: "future")
        }
    }

    @Test("a store whose checkpoints earlier versions wrote as JSON still resumes, and goes on in the binary format")
    func legacyJSONCheckpointStillReads() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let id: String
        do {
            id = try await runningRun(in: try RunStore(directory: folder), rounds: 2, asLegacyJSON: true)
        }
        let store = try RunStore(directory: folder)
        let legacy = store.runFolder(id).appendingPathComponent("checkpoint.json")
        #expect(try Data(contentsOf: legacy).first == UInt8(ascii: "{"))
        #expect(!FileManager.default.fileExists(atPath: store.checkpointURL(id).path))
        #expect(try await store.latestCheckpoint(runID: id) == (try checkpoint(id, round: 2)))

        try await store.markRunning(id)
        try await store.recordRound(id, checkpoint: try checkpoint(id, round: 3))
        #expect(try await store.latestCheckpoint(runID: id) == (try checkpoint(id, round: 3)))
        #expect(RunCheckpoint.isFile(try Data(contentsOf: store.checkpointURL(id))))
        #expect(!FileManager.default.fileExists(atPath: legacy.path))
        #expect(!FileManager.default.fileExists(atPath: store.runFolder(id).appendingPathComponent("checkpoint.previous.json").path))
    }

    @Test("a damaged model file is refused")
    func corruptedModelIsRefused() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(directory: folder)
        let id = try await store.submit(try submission()).id
        try await store.finish(id, state: .failed, message: "no site answered", model: Data([1, 2, 3]))
        #expect(try await store.model(runID: id) == Data([1, 2, 3]))
        try Data([1, 2, 4]).write(to: store.modelURL(id))
        let error = await #expect(throws: RunStoreError.self) { try await store.model(runID: id) }
        #expect(error?.code == .corruptFile)
    }

    @Test("changes a run's state does not allow are refused, and nothing is logged")
    func invalidChangesAreRefused() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(directory: folder)
        let id = try await store.submit(try submission()).id

        func code(_ change: () async throws -> Void) async -> RunStoreError.Code? {
            do {
                try await change()
                return nil
            } catch {
                return (error as? RunStoreError)?.code
            }
        }
        #expect(await code { try await store.recordRound(id, checkpoint: try checkpoint(id, round: 1)) } == .invalidChange)
        try await store.markRunning(id)
        #expect(await code { try await store.recordRound(id, checkpoint: try checkpoint(id, round: 2)) } == .invalidChange)
        #expect(await code { try await store.recordRound(id, checkpoint: try checkpoint(runID(9, in: folder), round: 1)) } == .invalidChange)
        #expect(await code { try await store.markRunning(runID(9, in: folder)) } == .unknownRun)
        #expect(await code { try await store.finish(id, state: .running, message: nil) } == .invalidChange)
        try await store.finish(id, state: .completed, message: nil)
        #expect(await code { try await store.cancel(id) } == .invalidChange)
        #expect(await code { try await store.markRunning(id) } == .invalidChange)
        #expect(await store.count == 3)
        #expect(try await store.latestCheckpoint(runID: id) == nil)
        #expect(!FileManager.default.fileExists(atPath: store.checkpointURL(id).path))
    }

    @Test("each round's audit anchors are part of its durable record: in runs.log and the checkpoint, after reopening")
    func auditAnchorsSurviveReopening() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var latest: RunCheckpoint?
        let id: String
        do {
            let store = try RunStore(directory: folder, now: fixedClock())
            id = try await store.submit(try submission()).id
            try await store.markRunning(id)
            for round in 1...2 {
                var saved = try checkpoint(id, round: round)
                for index in saved.history.indices {
                    let r = saved.history[index].round
                    saved.history[index].recordAuditHead(AuditHead(events: 10 * r, head: SHA256.hexDigest(of: "a \(r)")), from: "a")
                    saved.history[index].recordAuditHead(AuditHead(events: 10 * r, head: "not a hash"), from: "b")
                }
                try await store.recordRound(id, checkpoint: saved)
                latest = saved
            }
        }
        let store = try RunStore(directory: folder)
        let history = try #require(await store.run(id: id)?.history)
        #expect(history.map { $0.auditAnchors?["a"] } == [1, 2].map { AuditHead(events: 10 * $0, head: SHA256.hexDigest(of: "a \($0)")) })
        #expect(history.allSatisfy { $0.droppedAuditAnchors?["b"]?.contains("64 lowercase hex digits") == true })
        #expect(try await store.latestCheckpoint(runID: id)?.history == latest?.history)
        #expect(try logLines(folder).filter { $0.contains(#""audit_anchors":{"a":{"events":"#) }.count == 2)
    }

    @Test("a second store on an open folder is refused")
    func secondStoreIsRefused() async throws {
        let folder = try temporaryStoreFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(directory: folder)
        #expect(openingError(folder)?.code == .locked)
        _ = try await store.submit(try submission())
    }
}

/// The id of the store's Nth run: `run-NNNN-TOKEN`, TOKEN as its first run got it.
func runID(_ number: Int, in folder: URL) -> String {
    let log = (try? String(contentsOf: folder.appendingPathComponent("runs.log"), encoding: .utf8)) ?? ""
    let token = log.range(of: #""run":"run-0001-([0-9a-f]{8})""#, options: .regularExpression).map { String(log[$0].dropLast().suffix(8)) }
    return String(format: "run-%04d-", number) + (token ?? "????????")
}
