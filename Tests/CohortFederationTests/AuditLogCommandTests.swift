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
