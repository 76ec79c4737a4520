import CohortData
@testable import CohortFederation
import Foundation
import Testing

/// A log of `count` events written through `AuditLog`, and its head after each event
/// (`heads[k]` after event k + 1), as a site would have sent them.
func anchoredAuditLog(events count: Int, in folder: URL) async throws -> (url: URL, heads: [AuditHead]) {
    let url = folder.appendingPathComponent("audit.jsonl")
    let log = try AuditLog(fileAt: url, now: AuditTestClock().now)
    var heads = [AuditHead]()
    for index in 0..<count {
        try await log.append(.budgetSpent, details: ["run": "run-1", "charge": .string("run-1/round-\(index + 1)")])
        heads.append(await log.currentHead)
    }
    return (url, heads)
}

/// The orchestrator's anchor of `head` for hospital-a in `round` of run-1.
func hospitalAnchor(_ head: AuditHead, round: Int) -> AuditAnchor {
    AuditAnchor(run: "run-1", round: round, site: "hospital-a", events: head.events, hash: head.head)
}

/// Rewrites the log at `url` after its line `kept` as a forger who can run the log's own code
/// would: cuts it there, drops its head file, and appends `count` other events, so that the
/// chain is intact and a new head file agrees with it.
func forgeAuditTail(of url: URL, keeping kept: Int, appending count: Int) async throws {
    let lines = try auditLines(url)
    try (lines.prefix(kept).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.removeItem(at: AuditHead.url(forLog: url))
    let forger = try AuditLog(fileAt: url, now: AuditTestClock().now)
    for _ in 0..<count { try await forger.append(.taskRefused, details: ["run": "run-1", "reasons": ["nothing to see"]]) }
}

/// `lines` as a log's bytes.
private func logBytes(_ lines: some Sequence<String>) -> [UInt8] {
    Array(lines.map { $0 + "\n" }.joined().utf8)
}

/// A site that sends an audit head with each update (10 × round events) and evaluation
/// (10 × round + 1), or with `malformed` a head of 0 events.
private struct HeadSendingSite: SiteConnection {
    let inner: InMemorySite
    var malformed = false
    var name: String { inner.name }

    func head(events: Int) -> AuditHead { AuditHead(events: malformed ? 0 : events, head: SHA256.hexDigest(of: "\(name) \(events)")) }

    func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates {
        try await inner.aggregates(schema: schema, noise: noise)
    }

    func train(_ task: TrainingTask) async throws -> SiteUpdate {
        var update = try await inner.train(task)
        update.auditHead = head(events: 10 * task.round)
        return update
    }

    func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation {
        var evaluation = try await inner.evaluate(task)
        evaluation.auditHead = head(events: 10 * task.round + 1)
        return evaluation
    }
}

/// A site that refuses every task as a site's worker does after logging `task_refused`: with
/// its audit head (1 event for the preprocessing, 10 × round + 2 for training, 10 × round + 3
/// for evaluation), or with `malformed` a head of 0 events.
private struct RefusingSite: SiteConnection {
    let name: String
    var malformed = false

    func head(events: Int) -> AuditHead { AuditHead(events: malformed ? 0 : events, head: SHA256.hexDigest(of: "\(name) \(events)")) }

    func refusal(events: Int) -> SiteError {
        SiteError(.refused, site: name, "noise multiplier 1 is below this site's minimum 3", auditHead: head(events: events))
    }

    func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates { throw refusal(events: 1) }
    func train(_ task: TrainingTask) async throws -> SiteUpdate { throw refusal(events: 10 * task.round + 2) }
    func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation { throw refusal(events: 10 * task.round + 3) }
}

@Suite("Audit anchors: the site's audit head kept at the orchestrator")
struct AuditAnchorTests {
    static let valid = AuditHead(events: 7, head: SHA256.hexDigest(of: "line 7"))

    @Test("a round keeps each site's valid head and drops a malformed one with its reason; the update still counts")
    func recordingValidatesTheShape() throws {
        var record = RoundRecord(
            round: 2, sampled: ["a", "b", "c", "d", "e"], answered: ["a", "b", "c", "d", "e"], dropped: [:], trainingLoss: nil,
            evaluationLoss: nil, accuracy: nil, auroc: nil, macroF1: nil, evaluationRecords: nil, perSite: nil, epsilon: [:],
            seconds: 0, bytesSent: 0, bytesReceived: 0)
        record.recordAuditHead(nil, from: "old-site")
        #expect(record.auditAnchors == nil && record.droppedAuditAnchors == nil)

        record.recordAuditHead(Self.valid, from: "a")
        record.recordAuditHead(AuditHead(events: 0, head: Self.valid.head), from: "b")
        record.recordAuditHead(AuditHead(events: 3, head: Self.valid.head.uppercased()), from: "c")
        record.recordAuditHead(AuditHead(events: 3, head: String(Self.valid.head.dropLast())), from: "d")
        record.recordAuditHead(AuditHead(events: 3, head: String(repeating: "z", count: 100_000)), from: "e")
        #expect(record.auditAnchors == ["a": Self.valid])
        let dropped = try #require(record.droppedAuditAnchors)
        #expect(dropped["b"] == "audit head dropped: events must be at least 1, got 0")
        #expect(dropped["c"] == "audit head dropped: hash must be 64 lowercase hex digits, got \"\(Self.valid.head.uppercased())\"")
        #expect(dropped["d"]?.hasPrefix("audit head dropped: hash must be 64 lowercase hex digits") == true)
        // A peer's long string is shown short.
        #expect(dropped["e"] == "audit head dropped: hash must be 64 lowercase hex digits, got \"\(String(repeating: "z", count: 64))… (100000 bytes)\"")
        #expect(record.answered.count == 5)

        // The evaluation's head comes after the update's: the later is kept, an earlier one never replaces it.
        let later = AuditHead(events: 9, head: SHA256.hexDigest(of: "line 9"))
        record.recordAuditHead(later, from: "a")
        record.recordAuditHead(Self.valid, from: "a")
        #expect(record.auditAnchors == ["a": later])
        #expect(record.auditAnchorList(run: "run-1") == [AuditAnchor(run: "run-1", round: 2, site: "a", events: 9, hash: later.head)])
    }

    @Test("a head with fewer events than an earlier round's, or as many with another hash, is flagged; a growing log is not")
    func shrinkingLogsAreFlagged() {
        func record(_ round: Int, _ anchors: [String: AuditHead]) -> RoundRecord {
            var record = RoundRecord(
                round: round, sampled: [], answered: [], dropped: [:], trainingLoss: nil, evaluationLoss: nil, accuracy: nil,
                auroc: nil, macroF1: nil, evaluationRecords: nil, perSite: nil, epsilon: [:], seconds: 0, bytesSent: 0, bytesReceived: 0)
            for (site, head) in anchors { record.recordAuditHead(head, from: site) }
            return record
        }
        func head(_ events: Int, _ text: String = "") -> AuditHead { AuditHead(events: events, head: SHA256.hexDigest(of: "\(events)\(text)")) }
        // Round 2 has no anchor for c (it was not sampled): round 1's still counts.
        let history = [record(1, ["a": head(10), "b": head(10), "c": head(10)]), record(2, ["a": head(20), "b": head(20)])]
        var round3 = record(3, ["a": head(30), "b": head(15), "c": head(10, "rewritten")])
        round3.checkAuditAnchors(against: history)
        let warnings = round3.auditAnchorWarnings ?? [:]
        #expect(warnings["a"] == nil)
        #expect(warnings["b"] == "its audit log holds 15 events, fewer than the 20 it held at round 2: lines were removed")
        #expect(warnings["c"]?.hasSuffix("it had at round 1: the log was rewritten") == true, "\(warnings)")
        var fine = record(3, ["a": head(30), "c": head(11)])
        fine.checkAuditAnchors(against: history)
        #expect(fine.auditAnchorWarnings == nil)
    }

    @Test("the engine records the head each site sent with its update, or the later one with its evaluation")
    func engineRecordsHeads() async throws {
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 3)
        let sending = HeadSendingSite(inner: InMemorySite(name: "a", table: tables[0], holdoutFraction: 0.2, seed: 1))
        let malformed = HeadSendingSite(inner: InMemorySite(name: "b", table: tables[1], holdoutFraction: 0.2, seed: 2), malformed: true)
        let silent = InMemorySite(name: "c", table: tables[2], holdoutFraction: 0.2, seed: 3)
        let configuration = FederationConfiguration(
            runID: "anchors", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression),
            schema: try EngineFixtures.schema("breast_cancer_wdbc"), rounds: 2,
            local: LocalWork(steps: 1, batchSize: 16, optimizer: .sgd(), learningRate: 0.1), evaluateEvery: 2, seed: 4)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let history = try await engine.run(sites: [sending, malformed, silent]).history
        try #require(history.count == 2)
        #expect(history.allSatisfy { $0.answered == ["a", "b", "c"] })
        // Round 1 has no evaluation: the update's head. Round 2: the evaluation's, which follows it.
        #expect(history[0].auditAnchors == ["a": sending.head(events: 10)])
        #expect(history[1].auditAnchors == ["a": sending.head(events: 21)])
        #expect(history.allSatisfy { $0.droppedAuditAnchors == ["b": "audit head dropped: events must be at least 1, got 0"] })
    }

    @Test("the engine records the head a site sent with its refusal of training or evaluation as the round's anchor")
    func engineRecordsRefusalHeads() async throws {
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 1)
        let answering = InMemorySite(name: "a", table: tables[0], holdoutFraction: 0.2, seed: 1)
        let refusing = RefusingSite(name: "r"), malformed = RefusingSite(name: "m", malformed: true)
        let configuration = FederationConfiguration(
            runID: "refusals", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression),
            schema: try EngineFixtures.schema("breast_cancer_wdbc"), rounds: 2,
            local: LocalWork(steps: 1, batchSize: 16, optimizer: .sgd(), learningRate: 0.1), evaluateEvery: 2, seed: 4)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let history = try await engine.run(sites: [answering, refusing, malformed]).history
        try #require(history.count == 2)
        #expect(history.allSatisfy { $0.answered == ["a"] && $0.dropped["r"]?.contains("below this site's minimum 3") == true })
        // Round 1: the training refusal's head. Round 2: the evaluation refusal's, which follows it.
        #expect(history[0].auditAnchors == ["r": refusing.head(events: 12)])
        #expect(history[1].auditAnchors == ["r": refusing.head(events: 23)])
        #expect(history[1].auditAnchorList(run: "refusals").map(\.site) == ["r"])
        #expect(history.allSatisfy { $0.droppedAuditAnchors == ["m": "audit head dropped: events must be at least 1, got 0"] })
    }

    @Test("anchors travel in the round record's JSON; a record without them reads back without, and writes none")
    func recordJSON() throws {
        var record = RoundRecord(
            round: 1, sampled: ["a"], answered: ["a"], dropped: [:], trainingLoss: 0.5, evaluationLoss: nil, accuracy: nil,
            auroc: nil, macroF1: nil, evaluationRecords: nil, perSite: nil, epsilon: [:], seconds: 1, bytesSent: 4, bytesReceived: 4)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let plain = String(decoding: try encoder.encode(record), as: UTF8.self)
        #expect(!plain.contains("audit"))
        #expect(try JSONDecoder().decode(RoundRecord.self, from: Data(plain.utf8)) == record)

        record.recordAuditHead(Self.valid, from: "a")
        record.recordAuditHead(AuditHead(events: -1, head: ""), from: "b")
        let json = String(decoding: try encoder.encode(record), as: UTF8.self)
        #expect(json.contains(#""audit_anchors":{"a":{"events":7,"head":"\#(Self.valid.head)"}}"#), "\(json)")
        #expect(json.contains(#""audit_anchors_dropped":{"b":"audit head dropped: events must be at least 1, got -1"}"#), "\(json)")
        #expect(try JSONDecoder().decode(RoundRecord.self, from: Data(json.utf8)) == record)
    }

    @Test("a run folder lists each round's anchors in site-audit-anchors.jsonl, and none when there are none")
    func runFolderAnchors() throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var record = RoundRecord(
            round: 1, sampled: ["b", "a"], answered: ["b", "a"], dropped: [:], trainingLoss: nil, evaluationLoss: nil,
            accuracy: nil, auroc: nil, macroF1: nil, evaluationRecords: nil, perSite: nil, epsilon: [:], seconds: 0,
            bytesSent: 0, bytesReceived: 0)
        let simulated = try RunFolder(url: folder.appendingPathComponent("simulated"))
        try simulated.append(record)
        #expect(!FileManager.default.fileExists(atPath: simulated.auditAnchorsURL.path))

        let run = try RunFolder(url: folder.appendingPathComponent("real"), runID: "run-0001-0badcafe")
        let a = AuditHead(events: 5, head: SHA256.hexDigest(of: "a5"))
        let b = AuditHead(events: 12, head: SHA256.hexDigest(of: "b12"))
        // b refused the preprocessing: its head has no round record, and is listed once with
        // round 0, however often the refusal is seen (`cohort run` reconnecting).
        let refused = try #require(RunRefusal(site: "b", round: 0, reasons: ["no"], sentHead: AuditHead(events: 3, head: SHA256.hexDigest(of: "b3")))
            .auditAnchor(run: run.runID))
        try run.append(refused)
        try run.append(refused)
        record.recordAuditHead(b, from: "b")
        record.recordAuditHead(a, from: "a")
        try run.append(record)
        record.round = 2
        record.auditAnchors = ["a": AuditHead(events: 9, head: SHA256.hexDigest(of: "a9"))]
        try run.append(record)
        let anchors = try AuditAnchor.read(from: run.auditAnchorsURL)
        #expect(anchors == [
            AuditAnchor(run: "run-0001-0badcafe", round: 0, site: "b", events: 3, hash: SHA256.hexDigest(of: "b3")),
            AuditAnchor(run: "run-0001-0badcafe", round: 1, site: "a", events: 5, hash: a.head),
            AuditAnchor(run: "run-0001-0badcafe", round: 1, site: "b", events: 12, hash: b.head),
            AuditAnchor(run: "run-0001-0badcafe", round: 2, site: "a", events: 9, hash: SHA256.hexDigest(of: "a9")),
        ])
        let second = try String(contentsOf: run.auditAnchorsURL, encoding: .utf8).split(separator: "\n").dropFirst().first
        #expect(second == #"{"events":5,"hash":"\#(a.head)","round":1,"run":"run-0001-0badcafe","site":"a"}"#)
        // A new run in the same folder starts a new list.
        _ = try RunFolder(url: folder.appendingPathComponent("real"))
        #expect(!FileManager.default.fileExists(atPath: run.auditAnchorsURL.path))
    }

    @Test("an anchors file that is not one is refused naming the line")
    func readingAnchors() throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("site-audit-anchors.jsonl")
        let good = hospitalAnchor(Self.valid, round: 1).line
        try "\(good)\n{\"round\":2}\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: AuditLogError.self) { try AuditAnchor.read(from: url) }
        do {
            _ = try AuditAnchor.read(from: url)
        } catch {
            #expect(error.path == url.path && error.detail.hasPrefix("line 2: not an audit anchor"), "\(error)")
        }
        try "\(good)\n\(good.replacingOccurrences(of: #""events":7"#, with: #""events":0"#))\n".write(to: url, atomically: true, encoding: .utf8)
        do {
            _ = try AuditAnchor.read(from: url)
            Issue.record("an anchor of 0 events was read")
        } catch {
            #expect(error.detail == "line 2: events must be at least 1, got 0")
        }
    }

    @Test("a log holding every anchored line verifies against its anchors")
    func intactLogMatches() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (url, heads) = try await anchoredAuditLog(events: 10, in: folder)
        let anchors = [hospitalAnchor(heads[3], round: 1), hospitalAnchor(heads[7], round: 2), hospitalAnchor(heads[9], round: 3)]
        let (chain, checks) = try AuditLog.verify(fileAt: url, anchors: anchors)
        #expect(chain == .ok(events: 10, head: heads[9].head))
        #expect(checks == anchors.map(AuditAnchorCheck.matches))
        #expect(checks[0].description == "round 1 of run-1: line 4 matches the orchestrator's anchor")
    }

    @Test("a log cut below an anchor, its head file cut to match, fails that anchor and names the round")
    func truncatedBelowAnAnchor() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (url, heads) = try await anchoredAuditLog(events: 10, in: folder)
        let anchors = [hospitalAnchor(heads[3], round: 1), hospitalAnchor(heads[7], round: 2)]
        let lines = try auditLines(url)
        let cut = logBytes(lines.prefix(6))
        // The head file rewritten to the cut: it sees nothing wrong.
        #expect(AuditLog.verify(cut, head: heads[5]) == .ok(events: 6, head: heads[5].head))
        let (chain, checks) = AuditLog.verify(cut, head: heads[5], anchors: anchors)
        #expect(chain.isIntact)
        #expect(checks == [.matches(anchors[0]), .truncated(anchors[1], events: 6)])
        #expect(checks[1].description == "truncated: the orchestrator recorded 8 events at round 2 of run-1, the log has 6")
    }

    @Test("a tail rewritten with fresh hashes and a rewritten head file pass --head, not the anchor")
    func rewrittenTail() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (url, heads) = try await anchoredAuditLog(events: 8, in: folder)
        let anchors = [hospitalAnchor(heads[2], round: 1), hospitalAnchor(heads[5], round: 2), hospitalAnchor(heads[7], round: 3)]
        try await forgeAuditTail(of: url, keeping: 4, appending: 5)
        let forgedHead = try #require(try AuditHead.read(from: AuditHead.url(forLog: url)))
        #expect(try AuditLog.verify(fileAt: url, head: forgedHead) == .ok(events: 9, head: forgedHead.head))

        let (chain, checks) = try AuditLog.verify(fileAt: url, head: forgedHead, anchors: anchors)
        #expect(chain.isIntact)
        let forgedLines = try auditLines(url)
        let line6 = SHA256.hexDigest(of: forgedLines[5]), line8 = SHA256.hexDigest(of: forgedLines[7])
        #expect(checks == [.matches(anchors[0]), .differs(anchors[1], lineHash: line6), .differs(anchors[2], lineHash: line8)])
        #expect(checks[1].description == "line 6 hashes to \(line6), the orchestrator recorded \(heads[5].head) for round 2 of run-1 "
                + "(the log was rewritten at or before this line)")
    }

    @Test("an anchor past a break in the chain names the break")
    func anchorBeyondABreak() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (url, heads) = try await anchoredAuditLog(events: 6, in: folder)
        var lines = try auditLines(url)
        lines.remove(at: 4)
        let anchors = [hospitalAnchor(heads[1], round: 1), hospitalAnchor(heads[5], round: 2)]
        let (chain, checks) = AuditLog.verify(logBytes(lines), anchors: anchors)
        #expect(chain == .broken(line: 5, reason: "prev does not match line 4 (deleted, inserted or reordered?)"))
        #expect(checks == [.matches(anchors[0]), .beyondBreak(anchors[1], line: 5)])
        #expect(checks[1].description == "round 2 of run-1: the orchestrator recorded 6 events, but the chain breaks at line 5")
    }
}
