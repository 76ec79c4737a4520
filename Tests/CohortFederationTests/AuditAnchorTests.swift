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

/// `lines` as a log's bytes.
private func logBytes(_ lines: some Sequence<String>) -> [UInt8] {
    Array(lines.map { $0 + "\n" }.joined().utf8)
}

@Suite("Audit anchors: the site's audit head kept at the orchestrator")
struct AuditAnchorTests {
    static let valid = AuditHead(events: 7, head: SHA256.hexDigest(of: "line 7"))

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
        // Cut after line 4, then five other lines appended by the log's own code: a valid chain,
        // and a head file that agrees with it.
        let lines = try auditLines(url)
        try (lines.prefix(4).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: AuditHead.url(forLog: url))
        let forger = try AuditLog(fileAt: url, now: AuditTestClock().now)
        for _ in 0..<5 { try await forger.append(.taskRefused, details: ["run": "run-1", "reasons": ["nothing to see"]]) }
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
