@testable import CohortFederation
import Foundation
import Testing

/// Runs the built `cohort` executable as a real child process (a copy of the end-to-end
/// tests' `CohortProcess`: test targets cannot share code).
private enum AuditCommandProcess {
    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The `cohort` binary: `COHORT_BIN` if set, else the one built beside this test bundle.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["COHORT_BIN"] { return URL(fileURLWithPath: path) }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("cohort")
    }

    /// Runs `cohort arguments` and waits at most `timeout` seconds (then kills it).
    static func run(_ arguments: [String], timeout: TimeInterval = 60) throws -> Output {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [
                NSLocalizedDescriptionKey: "no cohort executable at \(executable.path): run `swift build` first",
            ])
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // Files, not pipes: a child that writes a lot can never block on a full pipe.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout"), errURL = directory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? outHandle.close(); try? errHandle.close() }
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}

@Suite("Audit log: `cohort audit` end to end")
struct AuditLogCommandTests {
    @Test("`cohort audit verify` passes an intact log and names the edited line of another")
    func verifyCommand() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 4, in: folder)

        let good = try AuditCommandProcess.run(["audit", "verify", url.path])
        #expect(good.status == 0, "\(good.standardError)")
        #expect(good.standardOutput.hasPrefix("ok: 4 events, chain intact\n"), "\(good.standardOutput)")

        var lines = try auditLines(url)
        lines[1] = lines[1].replacingOccurrences(of: "task_accepted", with: "task_refused")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let edited = try AuditCommandProcess.run(["audit", "verify", url.path])
        #expect(edited.status == 1)
        #expect(edited.standardError.contains("line 2: hash does not match its content (edited?)"), "\(edited.standardError)")
        #expect(!edited.standardOutput.contains("ok:"))
    }

    @Test("`cohort audit show --last N` prints the last N events")
    func showCommand() async throws {
        let folder = try temporarySiteFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try await writeAuditLog(events: 4, in: folder)
        let output = try AuditCommandProcess.run(["audit", "show", url.path, "--last", "2"])
        #expect(output.status == 0, "\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n")
        #expect(lines.count == 2, "\(output.standardOutput)")
        #expect(lines.first?.hasPrefix("3  2025-06-01T09:30:02.000Z  budget_spent  {") == true, "\(output.standardOutput)")
        #expect(lines.last?.hasPrefix("4  ") == true)
        #expect(output.standardError.isEmpty)
    }
}
