import Foundation

/// A long-running `cohort` process (an orchestrator, a site) for end-to-end tests: its output
/// goes to files that tests read while it runs; it is killed when stopped or released, so no
/// test leaves a process behind.
public final class BackgroundProcess: @unchecked Sendable {
    public let name: String
    private let process: Process
    public let standardOutputURL: URL
    public let standardErrorURL: URL
    private let handles: [FileHandle]

    /// Starts `cohort ARGUMENTS` in `directory`; output goes to `logDirectory/NAME.out|.err`.
    public init(_ name: String, _ arguments: [String], in directory: URL, logDirectory: URL,
                setting: [String: String] = [:]) throws {
        self.name = name
        standardOutputURL = logDirectory.appendingPathComponent("\(name).out")
        standardErrorURL = logDirectory.appendingPathComponent("\(name).err")
        (process, handles) = try CohortProcess.launch(arguments, in: directory, setting: setting,
                                                       standardOutput: standardOutputURL, standardError: standardErrorURL)
    }

    deinit { kill() }

    public var isRunning: Bool { process.isRunning }
    public var standardOutput: String { (try? String(contentsOf: standardOutputURL, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOf: standardErrorURL, encoding: .utf8)) ?? "" }

    /// Waits until standard output or error holds a line containing `text`; returns that line.
    /// Throws when the process exits first or `timeout` passes. It sleeps between looks
    /// without blocking a thread of the cooperative pool.
    @discardableResult
    public func waitForLine(containing text: String, timeout: TimeInterval = 60) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = line(containing: text) { return line }
            guard process.isRunning else { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        if let line = line(containing: text) { return line }
        throw BackgroundProcessError(
            "\(name): no line containing '\(text)' within \(timeout) s (running: \(process.isRunning))\n"
                + "stdout:\n\(standardOutput)\nstderr:\n\(standardError)")
    }

    private func line(containing text: String) -> String? {
        for output in [standardOutput, standardError] {
            if let line = output.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
        }
        return nil
    }

    /// Stops the process with SIGKILL (a crash: no clean-up runs) and waits for it.
    public func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for handle in handles { try? handle.close() }
    }
}

public struct BackgroundProcessError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
