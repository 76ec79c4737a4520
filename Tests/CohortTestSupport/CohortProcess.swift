import Foundation

/// Runs the built `cohort` executable as a real child process, for the test targets that
/// check what a user sees (shared here: test targets cannot share code otherwise).
public enum CohortProcess {
    /// What the process printed and how it ended.
    public struct Output: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// The `cohort` binary: `COHORT_BIN` if set, else the one built beside this test bundle.
    public static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["COHORT_BIN"] { return URL(fileURLWithPath: path) }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("cohort")
    }

    /// Runs `cohort arguments` (in `directory`, if given) with the test's environment minus
    /// `removing`, plus `setting`, and waits at most `timeout` seconds (then kills it).
    public static func run(
        _ arguments: [String], in directory: URL? = nil, setting: [String: String] = [:], removing: [String] = [],
        timeout: TimeInterval = 120
    ) throws -> Output {
        let running = try Running(arguments, in: directory, setting: setting, removing: removing)
        let deadline = Date().addingTimeInterval(timeout)
        while running.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return running.finish()
    }

    /// As `run`, but waits without blocking a thread of Swift's cooperative pool, so async
    /// tests running beside it (gRPC clients) are not starved on a 2-core machine.
    public static func run(
        _ arguments: [String], in directory: URL? = nil, setting: [String: String] = [:], removing: [String] = [],
        timeout: TimeInterval = 120
    ) async throws -> Output {
        let running = try Running(arguments, in: directory, setting: setting, removing: removing)
        let deadline = Date().addingTimeInterval(timeout)
        while running.process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        return running.finish()
    }

    /// Starts `cohort arguments` in `directory` with the test's environment minus `removing`,
    /// plus `setting`; its output goes to the two files (created empty), not to pipes, so a
    /// child that writes a lot never blocks on a full pipe. Returns the process and the open
    /// file handles, which the caller closes when the process has ended.
    static func launch(
        _ arguments: [String], in directory: URL?, setting: [String: String], removing: [String] = [],
        standardOutput: URL, standardError: URL
    ) throws -> (Process, [FileHandle]) {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [
                NSLocalizedDescriptionKey: "no cohort executable at \(executable.path): run `swift build` first",
            ])
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        for key in removing { environment.removeValue(forKey: key) }
        environment.merge(setting) { _, new in new }
        process.environment = environment
        FileManager.default.createFile(atPath: standardOutput.path, contents: nil)
        FileManager.default.createFile(atPath: standardError.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: standardOutput), errHandle = try FileHandle(forWritingTo: standardError)
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        return (process, [outHandle, errHandle])
    }

    /// A started `cohort` process whose output goes to files of its own.
    private struct Running {
        let process: Process
        let captures: URL
        let outURL: URL, errURL: URL
        let handles: [FileHandle]

        init(_ arguments: [String], in directory: URL?, setting: [String: String], removing: [String]) throws {
            captures = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-e2e-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: captures, withIntermediateDirectories: true)
            outURL = captures.appendingPathComponent("stdout")
            errURL = captures.appendingPathComponent("stderr")
            (process, handles) = try CohortProcess.launch(arguments, in: directory, setting: setting, removing: removing,
                                                           standardOutput: outURL, standardError: errURL)
        }

        /// Stops the process if it still runs (the timeout passed) and collects its output.
        func finish() -> Output {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            for handle in handles { try? handle.close() }
            defer { try? FileManager.default.removeItem(at: captures) }
            return Output(
                status: process.terminationStatus,
                standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
        }
    }

    public static var cpuFlags: Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
