import CohortFederation
import Foundation
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
