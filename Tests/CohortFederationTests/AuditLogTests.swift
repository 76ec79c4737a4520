@testable import CohortFederation
import Foundation
import Synchronization
import Testing

/// A clock that starts at 2025-06-01T09:30:00Z and moves one second per reading.
final class AuditTestClock: Sendable {
    private let start = Date(timeIntervalSince1970: 1_748_770_200)
    private let ticks = Mutex(0)

    var now: @Sendable () -> Date {
        { [self] in start.addingTimeInterval(Double(ticks.withLock { tick in defer { tick += 1 }; return tick })) }
    }
}

/// A log of `count` events (received, accepted, budget spent, …) in a folder of its own.
func writeAuditLog(events count: Int, in folder: URL, name: String = "audit.jsonl") async throws -> URL {
    let url = folder.appendingPathComponent(name)
    let log = try AuditLog(fileAt: url, now: AuditTestClock().now)
    let events: [AuditEvent] = [.taskReceived, .taskAccepted, .budgetSpent, .updateSent, .evaluationSent]
    for index in 0..<count {
        try await log.append(events[index % events.count], details: ["run": "run-1", "round": .integer(index / 5 + 1), "epsilon": 0.25])
    }
    return url
}

/// The file's lines, without their newlines.
func auditLines(_ url: URL) throws -> [String] {
    var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
    if lines.last == "" { lines.removeLast() }
    return lines
}

@Suite("Audit log: append-only JSON lines with a hash chain")
struct AuditLogTests {
    @Test("a written log verifies, with its count and head")
    func writtenLogVerifies() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("audit.jsonl")
        let log = try AuditLog(fileAt: url, now: AuditTestClock().now)
        try await log.append(.taskReceived, details: ["run": "run-1", "plan": "3fa1"])
        try await log.append(.taskRefused, details: ["reasons": ["model 'mlp-wide' is not accepted", "only 42 training records"]])
        let last = try await log.append(.budgetSpent, details: ["epsilon": 1.25, "delta": 1e-5])
        #expect(last.seq == 3)
        let head = await log.head
        #expect(await log.count == 3)
        #expect(try AuditLog.verify(fileAt: url) == .ok(events: 3, head: head))
        #expect(try AuditLog.verify(fileAt: url).description == "ok: 3 events, chain intact")
        #expect(head == SHA256.hexDigest(of: try auditLines(url)[2]))
    }

    @Test("each line is one JSON object: seq, time, event, details, prev, hash")
    func lineFormat() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 2, in: folder)
        let lines = try auditLines(url)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix(
            #"{"seq":1,"time":"2025-06-01T09:30:00.000Z","event":"task_received","details":{"epsilon":0.25,"round":1,"run":"run-1"},"prev":"\#(String(repeating: "0", count: 64))","hash":""#))
        #expect(lines[1].hasPrefix(#"{"seq":2,"time":"2025-06-01T09:30:01.000Z","event":"task_accepted""#))
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["seq", "time", "event", "details", "prev", "hash"])
            // hash: the SHA-256 of the line without its hash field; prev: of the line before.
            let hash = try #require(object["hash"] as? String)
            let content = line.replacingOccurrences(of: #","hash":"\#(hash)"}"#, with: "}")
            #expect(hash == SHA256.hexDigest(of: content))
        }
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["prev"] as? String == SHA256.hexDigest(of: lines[0]))
    }

    @Test("details are canonical JSON that reads back: escapes, Unicode, nesting, infinity")
    func detailsRoundTrip() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("audit.jsonl")
        let log = try AuditLog(fileAt: url)
        let details: [String: AuditValue] = [
            "text": "a \"quoted\"\nline\twith \\ and \u{1}", "ε": "δ = 1e-5", "nested": ["list": [1, 2.5, true, nil]],
            "infinite": .number(.infinity), "b": false,
        ]
        try await log.append("custom_event", details: details)
        let entry = try AuditEntry(line: try auditLines(url)[0])
        #expect(entry.event == "custom_event")
        var expected = details
        expected["infinite"] = "inf"
        #expect(entry.details == expected)
        #expect(AuditValue.object(["b": 1, "a": [2, "x"]]).json == #"{"a":[2,"x"],"b":1}"#)
        #expect(AuditValue.string("\u{1}\"").json == #""\u0001\"""#)
    }

    @Test("reopening a log continues its chain")
    func reopeningContinues() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 3, in: folder)
        let reopened = try AuditLog(fileAt: url)
        #expect(await reopened.count == 3)
        #expect(await reopened.head == SHA256.hexDigest(of: try auditLines(url)[2]))
        let entry = try await reopened.append(.updateSent, details: ["bytes": 1234])
        #expect(entry.seq == 4)
        #expect(try AuditLog.verify(fileAt: url).description == "ok: 4 events, chain intact")
    }

    @Test("a log whose last line is broken is not resumed")
    func brokenLastLineIsNotResumed() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 3, in: folder)
        var data = try Data(contentsOf: url)
        data.removeLast(5)
        try data.write(to: url)
        do {
            _ = try AuditLog(fileAt: url)
            Issue.record("a truncated last line was resumed")
        } catch {
            #expect(error.code == .brokenLog)
            #expect(error.detail.contains("incomplete"))
        }

        let edited = try await writeAuditLog(events: 3, in: folder, name: "edited.jsonl")
        let text = try String(contentsOf: edited, encoding: .utf8).replacingOccurrences(of: "\"run-1\"}", with: "\"run-2\"}")
        try text.write(to: edited, atomically: true, encoding: .utf8)
        do {
            _ = try AuditLog(fileAt: edited)
            Issue.record("an edited last line was resumed")
        } catch {
            #expect(error.code == .brokenLog)
            #expect(error.detail.contains("hash does not match its content"))
        }
    }

    @Test("a log with lines cut from the end is not resumed: its head file records more")
    func truncatedLogIsNotResumed() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 4, in: folder)
        let lines = try auditLines(url)
        try (lines.prefix(3).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        do {
            _ = try AuditLog(fileAt: url)
            Issue.record("a truncated log was resumed")
        } catch {
            #expect(error.code == .brokenLog)
            #expect(error.detail.hasPrefix("truncated: 3 events, but audit.jsonl.head records 4: 1 line is missing at the end"), "\(error)")
        }
        #expect(try AuditLog.verify(fileAt: url, head: try AuditHead.read(from: AuditHead.url(forLog: url)))
                == .truncated(events: 3, recorded: 4, headFile: "audit.jsonl.head"))

        // A crash between a line and its head file: the log has one more line, which is fine.
        let longer = try await writeAuditLog(events: 2, in: folder, name: "longer.jsonl")
        let head = AuditHead.url(forLog: longer)
        let before = try Data(contentsOf: head)
        try await AuditLog(fileAt: longer).append(.taskReceived)
        try before.write(to: head)
        let resumed = try AuditLog(fileAt: longer)
        #expect(await resumed.count == 3)
    }

    @Test("concurrent appends from many tasks keep the chain valid")
    func concurrentAppends() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("audit.jsonl")
        let log = try AuditLog(fileAt: url)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<2 {
                group.addTask {
                    for index in 0..<50 { try await log.append(.updateSent, details: ["task": .integer(task), "index": .integer(index)]) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try AuditLog.verify(fileAt: url).description == "ok: 100 events, chain intact")
        let seqs = try auditLines(url).map { try AuditEntry(line: $0).seq }
        #expect(seqs == Array(1...100))
    }

    @Test("two logs open on the same file take turns through the file lock")
    func twoWritersOnOneFile() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("audit.jsonl")
        let first = try AuditLog(fileAt: url)
        let second = try AuditLog(fileAt: url)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for log in [first, second] {
                group.addTask { for index in 0..<30 { try await log.append(.taskReceived, details: ["index": .integer(index)]) } }
            }
            try await group.waitForAll()
        }
        #expect(try AuditLog.verify(fileAt: url).description == "ok: 60 events, chain intact")
    }

    @Test("an empty or new log verifies; a missing file is an error")
    func emptyAndMissing() throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("audit.jsonl")
        _ = try AuditLog(fileAt: url)
        #expect(FileManager.default.fileExists(atPath: url.path))
        #expect(try AuditLog.verify(fileAt: url) == .ok(events: 0, head: AuditEntry.firstPrevious))
        #expect(throws: AuditLogError.self) { _ = try AuditLog.verify(fileAt: folder.appendingPathComponent("none.jsonl")) }
    }

    @Test("times are ISO 8601 in UTC with milliseconds")
    func timestamps() {
        #expect(AuditLog.timestamp(Date(timeIntervalSince1970: 0.25)) == "1970-01-01T00:00:00.250Z")
    }
}
