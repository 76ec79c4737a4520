import CohortFederation
import Foundation
import Synchronization
import Testing
@testable import CohortRPC

@Suite("Audit heads on the wire")
struct WireAuditHeadTests {
    static let head = AuditHead(events: 42, head: SHA256.hexDigest(of: "line 42"))

    @Test("an evaluation carries the site's audit head; one without it (an older site, or suppressed) decodes without")
    func evaluationRoundTrip() throws {
        let evaluation = SiteEvaluation(records: 10, lossSum: 3, correct: 8, histogram: nil, confusion: nil, auditHead: Self.head)
        let wire = Cohort_V1_EvaluationResult(evaluation, runID: "r", round: 2, taskID: "e2.1")
        #expect(wire.hasAuditHead && wire.auditHead.events == 42 && wire.auditHead.hash == Self.head.head)
        let received = try Cohort_V1_EvaluationResult(serializedBytes: try wire.serializedBytes() as [UInt8])
        #expect(try received.decoded()?.auditHead == Self.head)

        var older = wire
        older.clearAuditHead()
        #expect(try older.decoded()?.auditHead == nil)
        #expect(!Cohort_V1_EvaluationResult(nil, runID: "r", round: 2, taskID: "e2.2").hasAuditHead)
    }

    @Test("a refusal carries the head of a refusal the site logged; an older site's, or a failure's, has none")
    func refusalRoundTrip() throws {
        let logged = SiteError(.refused, site: "hospital-a", "noise multiplier 1 is below this site's minimum 3", auditHead: Self.head)
        let wire = Cohort_V1_Refusal(refusing: "t2.7", of: "run-1", because: logged)
        let received = try Cohort_V1_Refusal(serializedBytes: try wire.serializedBytes() as [UInt8])
        #expect(received.runID == "run-1" && received.taskID == "t2.7" && received.reasons == [logged.message])
        #expect(received.sentAuditHead == Self.head)

        var older = received
        older.clearAuditHead()
        #expect(try Cohort_V1_Refusal(serializedBytes: try older.serializedBytes() as [UInt8]).sentAuditHead == nil)
        let failure = Cohort_V1_Refusal(refusing: "t2.8", of: "run-1", because: SiteError(.failed, site: "hospital-a", "disk full"))
        #expect(!failure.hasAuditHead && failure.reasons == ["disk full"])

        // What the run's watchers get: a valid head, which a refused preprocessing lists with round 0.
        let refusal = RunRefusal(site: "hospital-a", round: 0, reasons: received.reasons, sentHead: received.sentAuditHead)
        let watched = try Cohort_V1_SiteRefusal(serializedBytes: try Cohort_V1_SiteRefusal(refusal).serializedBytes() as [UInt8])
        #expect(watched.auditAnchor(run: "run-1") == AuditAnchor(run: "run-1", round: 0, site: "hospital-a", events: 42, hash: Self.head.head))
        let malformed = RunRefusal(site: "hospital-a", round: 0, reasons: ["no"], sentHead: AuditHead(events: 0, head: Self.head.head))
        #expect(malformed.droppedAuditHead == "audit head dropped: events must be at least 1, got 0")
        #expect(!Cohort_V1_SiteRefusal(malformed).hasAuditHead && Cohort_V1_SiteRefusal(malformed).auditAnchor(run: "run-1") == nil)
    }

    @Test("the registry hands a refusal's head to the round engine (in the error) and to the run's watchers")
    func registryPassesTheRefusalHead() async throws {
        let registry = SiteRegistry()
        let seen = Mutex<[RunRefusal]>([])
        await registry.setRefusalHandler { _, refusal in seen.withLock { $0.append(refusal) } }
        var stream = await registry.open(site: "hospital-a").tasks.makeAsyncIterator()
        let task = Cohort_V1_Task.with { $0.taskID = "t2.7"; $0.runID = "run-1"; $0.round = 2 }
        let request = Task { try await registry.request(site: "hospital-a", taskID: "t2.7", runID: "run-1", round: 2, messages: [task]) }
        _ = await stream.next()
        try await registry.refuse("t2.7", from: "hospital-a", reasons: ["too little noise"], auditHead: Self.head)
        let thrown = await #expect(throws: SiteError.self) { try await request.value }
        #expect(thrown?.code == .refused && thrown?.auditHead == Self.head)
        #expect(seen.withLock { $0 } == [RunRefusal(site: "hospital-a", round: 2, reasons: ["too little noise"], sentHead: Self.head)])
    }

    @Test("an update header with or without a head parses; whatever a site puts in it decodes without trapping")
    func updateHeader() throws {
        let older = Cohort_V1_UpdateHeader.with { $0.runID = "r"; $0.round = 1; $0.taskID = "t1.1"; $0.records = 5 }
        let parsedOlder = try Cohort_V1_UpdateHeader(serializedBytes: try older.serializedBytes() as [UInt8])
        #expect(!parsedOlder.hasAuditHead)

        var hostile = older
        hostile.auditHead = .with { $0.events = .max; $0.hash = String(repeating: "Z", count: 1000) }
        let parsed = try Cohort_V1_UpdateHeader(serializedBytes: try hostile.serializedBytes() as [UInt8])
        #expect(parsed.hasAuditHead)
        let decoded = parsed.auditHead.decoded
        #expect(decoded.events == Int.max)
        #expect(decoded.anchorProblem?.hasPrefix("hash must be 64 lowercase hex digits") == true)
        #expect(Cohort_V1_AuditHead(Self.head).decoded == Self.head)
    }
}
