@testable import CohortFederation
import Foundation
import Testing
import CohortTestSupport

@Suite("Audit log: `cohort audit` end to end")
struct AuditLogCommandTests {
    @Test("`cohort audit verify` passes an intact log and names the edited line of another")
    func verifyCommand() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 4, in: folder)

        let good = try await CohortProcess.run(["audit", "verify", url.path])
        #expect(good.status == 0, "\(good.standardError)")
        #expect(good.standardOutput.hasPrefix("ok: 4 events, chain intact\n"), "\(good.standardOutput)")

        var lines = try auditLines(url)
        lines[1] = lines[1].replacingOccurrences(of: "task_accepted", with: "task_refused")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let edited = try await CohortProcess.run(["audit", "verify", url.path])
        #expect(edited.status == 1)
        #expect(edited.standardError.contains("line 2: hash does not match its content (edited?)"), "\(edited.standardError)")
        #expect(!edited.standardOutput.contains("ok:"))
    }

    @Test("`cohort audit verify` finds lines cut from the end through the log's head file, and says how many")
    func verifyFindsTruncation() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 5, in: folder)
        let headFile = folder.appendingPathComponent("audit.jsonl.head")
        #expect(try AuditHead.read(from: headFile) == AuditHead(events: 5, head: SHA256.hexDigest(of: try auditLines(url)[4])))
        let good = try await CohortProcess.run(["audit", "verify", url.path])
        #expect(good.status == 0, "\(good.standardError)")
        #expect(good.standardOutput.contains("audit.jsonl.head: 5 events recorded, none missing"), "\(good.standardOutput)")

        // A copy of the head file kept elsewhere, then the last two lines cut.
        let kept = folder.appendingPathComponent("kept.head")
        try FileManager.default.copyItem(at: headFile, to: kept)
        let lines = try auditLines(url)
        try (lines.prefix(3).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let cut = try await CohortProcess.run(["audit", "verify", url.path])
        #expect(cut.status == 1)
        #expect(cut.standardError == "\(url.path): truncated: 3 events, but audit.jsonl.head records 5: 2 lines are missing at the end\n",
                "\(cut.standardError)")
        #expect(!cut.standardOutput.contains("ok:"))
        // The same through a copy named on the command line, with the log's own head file gone.
        try FileManager.default.removeItem(at: headFile)
        let unanchored = try await CohortProcess.run(["audit", "verify", url.path])
        #expect(unanchored.status == 0)
        #expect(unanchored.standardOutput.contains("no head file (audit.jsonl.head): lines cut from the end would not show"))
        let anchored = try await CohortProcess.run(["audit", "verify", url.path, "--head", kept.path])
        #expect(anchored.status == 1)
        #expect(anchored.standardError.contains("truncated: 3 events, but kept.head records 5: 2 lines are missing at the end"))

        // Three lines rewritten after the cut, so the count is back: the recorded line is not there.
        try FileManager.default.copyItem(at: kept, to: headFile)
        try (lines.prefix(3).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: headFile)
        let rewriter = try AuditLog(fileAt: url)
        for _ in 0..<2 { try await rewriter.append(.taskReceived, details: ["run": "run-1"]) }
        let rewritten = try await CohortProcess.run(["audit", "verify", url.path, "--head", kept.path])
        #expect(rewritten.status == 1)
        #expect(rewritten.standardError.contains("line 5: not the line kept.head records as event 5"), "\(rewritten.standardError)")
    }

    @Test("`cohort audit verify --anchors --site` checks the log against the orchestrator's anchors, and names the round that fails")
    func verifyAgainstAnchors() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (url, heads) = try await anchoredAuditLog(events: 8, in: folder)
        let anchorsFile = folder.appendingPathComponent("site-audit-anchors.jsonl")
        let anchors = [hospitalAnchor(heads[2], round: 1), hospitalAnchor(heads[5], round: 2)]
        let other = AuditAnchor(run: "run-1", round: 1, site: "hospital-b", events: 1, hash: heads[0].head)
        try (([other] + anchors).map { $0.line + "\n" }.joined()).write(to: anchorsFile, atomically: true, encoding: .utf8)
        let arguments = ["audit", "verify", url.path, "--anchors", anchorsFile.path, "--site", "hospital-a"]
        let good = try await CohortProcess.run(arguments)
        #expect(good.status == 0, "\(good.standardError)")
        #expect(good.standardOutput.contains("anchors: the log holds all 2 the orchestrator recorded for hospital-a "
                                             + "(the latest: 6 events at round 2 of run-1)"), "\(good.standardOutput)")

        // Lines 5 on rewritten with fresh hashes, and the head file with them: only the anchor shows it.
        try await forgeAuditTail(of: url, keeping: 4, appending: 4)
        let headOnly = try await CohortProcess.run(["audit", "verify", url.path])
        #expect(headOnly.status == 0 && headOnly.standardOutput.contains("audit.jsonl.head: 8 events recorded, none missing"))
        let rewritten = try await CohortProcess.run(arguments)
        #expect(rewritten.status == 1)
        let line6 = SHA256.hexDigest(of: try auditLines(url)[5])
        #expect(rewritten.standardError == "\(url.path): the chain is intact (8 events), but not what the orchestrator recorded for hospital-a:\n"
                + "\(url.path): line 6 hashes to \(line6), the orchestrator recorded \(heads[5].head) for round 2 of run-1 "
                + "(the log was rewritten at or before this line)\n", "\(rewritten.standardError)")
        #expect(rewritten.standardOutput.isEmpty)

        let unknown = try await CohortProcess.run(["audit", "verify", url.path, "--anchors", anchorsFile.path, "--site", "hospital-z"])
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("no anchor for site hospital-z (anchors for: hospital-a, hospital-b)"), "\(unknown.standardError)")
        let siteless = try await CohortProcess.run(["audit", "verify", url.path, "--anchors", anchorsFile.path])
        #expect(siteless.status != 0 && siteless.standardError.contains("--anchors needs --site NAME"), "\(siteless.standardError)")
    }

    @Test("`cohort audit show --last N` prints the last N events")
    func showCommand() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 4, in: folder)
        let output = try await CohortProcess.run(["audit", "show", url.path, "--last", "2"])
        #expect(output.status == 0, "\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n")
        #expect(lines.count == 2, "\(output.standardOutput)")
        #expect(lines.first?.hasPrefix("3  2025-06-01T09:30:02.000Z  budget_spent  {") == true, "\(output.standardOutput)")
        #expect(lines.last?.hasPrefix("4  ") == true)
        #expect(output.standardError.isEmpty)
    }
}
