@testable import CohortFederation
import Foundation
import Testing

/// A five-event log, tampered with by `edit` on its lines; the verification of the result.
private func verifyTampered(_ edit: (inout [String]) throws -> Void) async throws -> AuditVerification {
    let folder = try temporarySiteFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = try await writeAuditLog(events: 5, in: folder)
    #expect(try AuditLog.verify(fileAt: url).isIntact)
    var lines = try auditLines(url)
    try edit(&lines)
    try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    return try AuditLog.verify(fileAt: url)
}

/// A copy of `line` whose `hash` is recomputed after `edit` changed its content, as a
/// forger who knows the format would.
private func rehashed(_ line: String, _ edit: (String) -> String) throws -> String {
    let entry = try AuditEntry(line: line)
    let content = line.replacingOccurrences(of: #","hash":"\#(entry.hash)"}"#, with: "}")
    let forged = edit(content)
    return String(forged.dropLast()) + #","hash":"\#(SHA256.hexDigest(of: forged))"}"#
}

@Suite("Audit log: tampering shows, at the right line")
struct AuditLogTamperTests {
    @Test("editing one character of a detail")
    func editedDetail() async throws {
        let result = try await verifyTampered { lines in
            lines[2] = lines[2].replacingOccurrences(of: "\"epsilon\":0.25", with: "\"epsilon\":0.24")
        }
        #expect(result == .broken(line: 3, reason: "hash does not match its content (edited?)"))
        #expect(result.description == "line 3: hash does not match its content (edited?)")
    }

    @Test("editing a line and fixing its hash breaks the next line's prev")
    func editedAndRehashed() async throws {
        let result = try await verifyTampered { lines in
            lines[1] = try rehashed(lines[1]) { $0.replacingOccurrences(of: "task_accepted", with: "task_refused") }
        }
        #expect(result == .broken(line: 3, reason: "prev does not match line 2 (deleted, inserted or reordered?)"))
    }

    @Test("deleting a line")
    func deletedLine() async throws {
        let result = try await verifyTampered { lines in lines.remove(at: 3) }
        #expect(result == .broken(line: 4, reason: "prev does not match line 3 (deleted, inserted or reordered?)"))
    }

    @Test("deleting the first line")
    func deletedFirstLine() async throws {
        let result = try await verifyTampered { lines in lines.removeFirst() }
        #expect(result == .broken(line: 1, reason: "prev is not 64 zeros, so this is not the first entry (lines deleted from the start?)"))
    }

    @Test("swapping two lines")
    func swappedLines() async throws {
        let result = try await verifyTampered { lines in lines.swapAt(1, 2) }
        #expect(result == .broken(line: 2, reason: "prev does not match line 1 (deleted, inserted or reordered?)"))
    }

    @Test("appending a forged line without the right prev")
    func forgedAppend() async throws {
        let result = try await verifyTampered { lines in
            let forged = AuditEntry(
                seq: 6, time: "2025-06-01T10:00:00.000Z", event: .budgetSpent, details: ["epsilon": 0.01],
                prev: SHA256.hexDigest(of: lines[3]))
            lines.append(forged.line)
        }
        #expect(result == .broken(line: 6, reason: "prev does not match line 5 (deleted, inserted or reordered?)"))
    }

    @Test("inserting a forged line in the middle")
    func forgedInsert() async throws {
        let result = try await verifyTampered { lines in
            let forged = AuditEntry(
                seq: 3, time: "2025-06-01T10:00:00.000Z", event: .taskAccepted, details: [:], prev: SHA256.hexDigest(of: lines[1]))
            lines.insert(forged.line, at: 2)
        }
        // The forged line chains to line 2; the line after it does not chain to it.
        #expect(result == .broken(line: 4, reason: "prev does not match line 3 (deleted, inserted or reordered?)"))
    }

    @Test("a renumbered line with a fresh hash")
    func renumbered() async throws {
        let result = try await verifyTampered { lines in
            lines[0] = try rehashed(lines[0]) { $0.replacingOccurrences(of: "{\"seq\":1,", with: "{\"seq\":7,") }
            lines.removeSubrange(1...)
        }
        #expect(result == .broken(line: 1, reason: "seq is 7, expected 1 (deleted, inserted or reordered?)"))
    }

    @Test("truncating the last line")
    func truncatedLastLine() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 5, in: folder)
        var data = try Data(contentsOf: url)
        data.removeLast(20)
        try data.write(to: url)
        #expect(try AuditLog.verify(fileAt: url) == .broken(line: 5, reason: "incomplete, no newline at the end (truncated?)"))
        // Cut at the newline only: the line is whole, but a writer always ends it.
        let whole = try await writeAuditLog(events: 2, in: folder, name: "whole.jsonl")
        var wholeData = try Data(contentsOf: whole)
        wholeData.removeLast()
        try wholeData.write(to: whole)
        #expect(try AuditLog.verify(fileAt: whole) == .broken(line: 2, reason: "incomplete, no newline at the end (truncated?)"))
    }

    @Test("lines that are not entries: not JSON, other JSON, blank")
    func notEntries() async throws {
        #expect(try await verifyTampered { $0[2] = "{\"seq\":3," } == .broken(line: 3, reason: "not valid JSON"))
        let other = try await verifyTampered { $0.append("{\"seq\":6}") }
        #expect(other == .broken(line: 6, reason: "not an audit entry: it does not end with its \"hash\" (64 lowercase hex digits)"))
        #expect(try await verifyTampered { $0.insert("", at: 1) } == .broken(line: 2, reason: "empty line (the log has one entry per line)"))
        let noPrev = try await verifyTampered { lines in
            lines[0] = try rehashed(lines[0]) { $0.replacingOccurrences(of: "\"prev\"", with: "\"previous\"") }
        }
        #expect(noPrev == .broken(line: 1, reason: "not an audit entry: it has no \"prev\""))
    }
}
