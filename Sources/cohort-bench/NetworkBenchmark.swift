import Foundation

/// W7 (BENCHMARKS.md): a networked round. `cohort orchestrator`, 10 `cohort site` processes
/// and the researcher's `cohort run`, all real processes of the release build on 127.0.0.1
/// with mutual TLS; trivial local work (one DP-SGD step of 8 records); 1M and 10k parameters.
///
/// Measured:
/// - seconds per round: the engine's own time per round (`metrics.jsonl`), median of rounds
///   2–5 (round 6, the last, also evaluates);
/// - bytes per site per round, each way: the TCP payload bytes of each site's connection to
///   the orchestrator (`ss -ti`: bytes_received, bytes_sent, i.e. TLS records and HTTP/2
///   frames included), over the float32 floor 4 B × parameters. Two runs go over the same
///   connections, of 2 and of 6 rounds; their difference divided by 4 is what a round costs,
///   without the fixed costs of a run (preprocessing, the final evaluation, heartbeats);
/// - peak memory: the sum of VmHWM (peak resident set) over the orchestrator and the sites.
enum NetworkBenchmark {
    struct Result {
        var parameters: Int
        var secondsPerRound: Double
        var downloadRatio: Double
        var uploadRatio: Double
        var peakMiB: Double
        var startupSeconds: Double
        /// VmHWM of the orchestrator and of each site, and their resident sets once every site
        /// had registered (before any run): where the peak comes from.
        var orchestratorPeakMiB: Double
        var sitePeaksMiB: [Double]
        var idleMiB: [Double]
    }

    static let sites = 10
    static let rounds = 6

    /// Runs both sizes and prints the table; figures go to `figures` under `w7.*`.
    static func run(figures: inout [String: Double]) {
        print("")
        print("W7  networked rounds: orchestrator + \(sites) site processes + researcher, mutual TLS on 127.0.0.1, trivial local work")
        print(pad("parameters", 12) + pad("s/round", 10) + pad("bytes ↓ / floor", 17) + pad("bytes ↑ / floor", 17)
              + pad("peak MiB, 11 proc.", 19) + pad("start-up s", 12) + "Flower 1.42 deployment (s/round, ↓/↑ vs floor, MiB)")
        let flower: [Int: String] = [1_000_000: "19.0 s, 1.004×/1.007×, 5,222 MiB", 10_000: "17.5 s, 1.26×/1.55×, 4,403 MiB"]
        for (hidden, label) in [((1024, 960), "1m"), ((256, 8), "10k")] {
            do {
                let result = try measure(hidden: hidden)
                let floorRatio = flower[result.parameters < 100_000 ? 10_000 : 1_000_000] ?? ""
                print(pad("\(result.parameters)", 12) + pad(String(format: "%.4f", result.secondsPerRound), 10)
                      + pad(String(format: "%.4f×", result.downloadRatio), 17) + pad(String(format: "%.4f×", result.uploadRatio), 17)
                      + pad(String(format: "%.0f", result.peakMiB), 19) + pad(String(format: "%.1f", result.startupSeconds), 12)
                      + floorRatio)
                let sites = result.sitePeaksMiB.sorted()
                print(String(format: "            peak: orchestrator %.0f MiB, sites %.0f–%.0f MiB (median %.0f); resident before the runs: %.0f MiB in all",
                             result.orchestratorPeakMiB, sites.first ?? 0, sites.last ?? 0, sites[sites.count / 2],
                             result.idleMiB.reduce(0, +)))
                figures["w7.\(label).seconds_per_round"] = result.secondsPerRound
                figures["w7.\(label).download_over_floor"] = result.downloadRatio
                figures["w7.\(label).upload_over_floor"] = result.uploadRatio
                figures["w7.\(label).peak_mib"] = result.peakMiB
            } catch {
                print(pad(label, 12) + "failed: \(error)")
            }
        }
    }

    /// One federation: 30 → hidden.0 → hidden.1 → 1 on breast-cancer partitions.
    static func measure(hidden: (Int, Int)) throws -> Result {
        let parameters = 30 * hidden.0 + hidden.0 + hidden.0 * hidden.1 + hidden.1 + hidden.1 + 1
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-w7-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var processes = [Child]()
        defer {
            for process in processes { process.stop() }
            try? FileManager.default.removeItem(at: root)
        }
        let cohort = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("cohort")
        let names = (1...sites).map { String(format: "site-%02d", $0) }
        try setUp(root: root, cohort: cohort, names: names, hidden: hidden)

        let started = Date()
        let orchestrator = try Child("orchestrator", cohort, ["orchestrator", "--config", "orchestrator.yaml"], in: root)
        processes.append(orchestrator)
        let listening = try orchestrator.waitFor("listening on", timeout: 60)
        guard let port = Int(listening.split(separator: ":").last ?? "") else { throw BenchmarkError("no port in '\(listening)'") }
        for name in names {
            try """
                policy: policy-\(name).yaml
                orchestrator: 127.0.0.1:\(port)
                pki: {ca: pki/ca/ca.cert.pem, certificate: pki/\(name)/\(name).cert.pem, key: pki/\(name)/\(name).key.pem}
                state: state/\(name)
                """.write(to: root.appendingPathComponent("site-\(name).yaml"), atomically: true, encoding: .utf8)
            processes.append(try Child(name, cohort, ["site", "--config", "site-\(name).yaml", "--blas-threads", "1"], in: root))
        }
        for process in processes.dropFirst() { try process.waitFor("registered with the orchestrator", timeout: 120) }
        let startup = Date().timeIntervalSince(started)
        let idle = processes.map(\.residentMiB)

        let sitePIDs = processes[1...sites].map(\.pid)
        let before = try connectionBytes(port: port, sites: sitePIDs)
        let short = try Child("run-short", cohort, ["run", "plan-short.yaml", "--out", "runs/short", "--orchestrator",
                                                    "127.0.0.1:\(port)", "--pki", "pki/researcher"], in: root)
        processes.append(short)
        try short.waitFor("rounds completed", timeout: 300)
        try orchestrator.waitFor(": 2 rounds completed", timeout: 60)
        let afterShort = try connectionBytes(port: port, sites: sitePIDs)
        let run = try Child("run", cohort, ["run", "plan.yaml", "--out", "runs/w7", "--orchestrator", "127.0.0.1:\(port)",
                                            "--pki", "pki/researcher"], in: root)
        processes.append(run)
        try run.waitFor("rounds completed", timeout: 300)
        try orchestrator.waitFor(": \(rounds) rounds completed", timeout: 60)
        let afterLong = try connectionBytes(port: port, sites: sitePIDs)
        // The orchestrator and the sites (the researcher's process may have exited by now).
        let peaks = processes[0...sites].map(\.peakResidentMiB)
        let peak = peaks.reduce(0, +)

        let records = try String(contentsOf: root.appendingPathComponent("runs/w7/metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let seconds = records.filter { (2...5).contains($0["round"] as? Int ?? 0) }.compactMap { $0["seconds"] as? Double }.sorted()
        guard seconds.count == 4 else { throw BenchmarkError("expected rounds 2–5 in metrics.jsonl, got \(records.count) records") }
        // (6 rounds − 2 rounds) × every site × the float32 floor.
        let floor = 4.0 * Double(parameters) * Double(sites) * Double(rounds - 2)
        let received = (afterLong.received - afterShort.received) - (afterShort.received - before.received)
        let sent = (afterLong.sent - afterShort.sent) - (afterShort.sent - before.sent)
        return Result(
            parameters: parameters, secondsPerRound: (seconds[1] + seconds[2]) / 2,
            downloadRatio: Double(received) / floor, uploadRatio: Double(sent) / floor, peakMiB: peak, startupSeconds: startup,
            orchestratorPeakMiB: peaks[0], sitePeaksMiB: Array(peaks.dropFirst()), idleMiB: idle)
    }

    /// PKI, data partitions, policies, the model and the plan under `root`.
    static func setUp(root: URL, cohort: URL, names: [String], hidden: (Int, Int)) throws {
        func certs(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = cohort
            process.arguments = ["certs"] + arguments
            process.currentDirectoryURL = root
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchmarkError("cohort certs \(arguments.joined(separator: " ")) failed") }
        }
        func issue(_ role: String, _ name: String, _ extra: [String] = []) throws {
            try certs(["request", "--role", role, "--name", name, "--out", "pki/\(name)"] + extra)
            try certs(["sign", "pki/\(name)/\(name).csr.pem", "--ca", "pki/ca"])
        }
        try certs(["init", "--dir", "pki/ca", "--name", "w7"])
        try issue("orchestrator", "orchestrator", ["--host", "127.0.0.1"])
        try issue("researcher", "researcher")
        try FileManager.default.copyItem(at: root.appendingPathComponent("pki/ca/ca.cert.pem"),
                                         to: root.appendingPathComponent("pki/researcher/ca.cert.pem"))
        for name in names { try issue("site", name) }

        let datasets = try packageDirectory("Datasets")
        let rows = try String(contentsOf: datasets.appendingPathComponent("breast_cancer_wdbc.csv"), encoding: .utf8)
            .split(separator: "\n")
        let schema = root.appendingPathComponent("schema.json")
        try FileManager.default.copyItem(at: datasets.appendingPathComponent("breast_cancer_wdbc.schema.json"), to: schema)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        for (index, name) in names.enumerated() {
            let part = rows.dropFirst().enumerated().filter { $0.offset % names.count == index }.map(\.element)
            try ([String(rows[0])] + part.map(String.init)).joined(separator: "\n").appending("\n")
                .write(to: root.appendingPathComponent("data/\(name).csv"), atomically: true, encoding: .utf8)
            try """
                name: \(name)
                dataset: {path: data/\(name).csv, schema: schema.json, holdout: 0.2}
                accept: {models: ["*"], strategies: [fedavg], units: [record]}
                privacy: {minimum_noise_multiplier: 0.5, maximum_epsilon_per_run: 1000, lifetime_epsilon: 1000000}
                minimum_records: 10
                audit_log: state/\(name)/audit.jsonl
                """.write(to: root.appendingPathComponent("policy-\(name).yaml"), atomically: true, encoding: .utf8)
        }
        try """
            name: w7-model
            layers:
              - dense: \(hidden.0)
              - relu
              - dense: \(hidden.1)
              - relu
              - dense: output
            """.write(to: root.appendingPathComponent("model.yaml"), atomically: true, encoding: .utf8)
        try """
            name: w7
            model: ./model.yaml
            label: malignant
            schema: schema.json
            rounds: \(rounds)
            seed: 1
            sites:
            \(names.map { "  - {name: \($0), data: data/\($0).csv}" }.joined(separator: "\n"))
            sampling: {per_round: all, minimum: \(names.count)}
            local: {steps: 1, batch_size: 8, optimizer: sgd, learning_rate: 0.01}
            privacy: {unit: record, clip: 1.0, noise_multiplier: 1.0, delta: 1e-5}
            evaluation: {every: 100, holdout: 0.2}
            """.write(to: root.appendingPathComponent("plan.yaml"), atomically: true, encoding: .utf8)
        let plan = try String(contentsOf: root.appendingPathComponent("plan.yaml"), encoding: .utf8)
        try plan.replacingOccurrences(of: "rounds: \(rounds)", with: "rounds: 2").replacingOccurrences(of: "name: w7", with: "name: w7-short")
            .write(to: root.appendingPathComponent("plan-short.yaml"), atomically: true, encoding: .utf8)
        try """
            listen: 127.0.0.1:0
            pki: {ca: pki/ca/ca.cert.pem, certificate: pki/orchestrator/orchestrator.cert.pem, key: pki/orchestrator/orchestrator.key.pem}
            state: state/orchestrator
            site_wait_seconds: 60
            heartbeat_seconds: 10
            """.write(to: root.appendingPathComponent("orchestrator.yaml"), atomically: true, encoding: .utf8)
    }

    /// The sites' TCP payload bytes to and from the orchestrator's port, summed over their sockets.
    static func connectionBytes(port: Int, sites: [Int32]) throws -> (sent: Int, received: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ss")
        process.arguments = ["-tinpH", "state", "established", "( dport = :\(port) )"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let pids = Set(sites.map { "pid=\($0)," })
        var sent = 0, received = 0, matched = 0
        var owner = false
        for line in text.split(separator: "\n") {
            if !line.hasPrefix("\t") && !line.hasPrefix(" ") {
                owner = pids.contains { line.contains($0) }
                continue
            }
            guard owner else { continue }
            matched += 1
            for field in line.split(separator: " ") {
                if field.hasPrefix("bytes_sent:") { sent += Int(field.dropFirst("bytes_sent:".count)) ?? 0 }
                if field.hasPrefix("bytes_received:") { received += Int(field.dropFirst("bytes_received:".count)) ?? 0 }
            }
        }
        guard matched >= sites.count else { throw BenchmarkError("ss showed \(matched) site connections, expected \(sites.count)") }
        return (sent, received)
    }

    /// A folder of the package (Datasets/), found walking up from the executable.
    static func packageDirectory(_ name: String) throws -> URL {
        var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw BenchmarkError("no \(name)/ above the executable")
    }

    /// A `cohort` child process whose standard output and error go to files.
    final class Child {
        let name: String
        let process = Process()
        let log: URL
        let handle: FileHandle

        init(_ name: String, _ executable: URL, _ arguments: [String], in directory: URL) throws {
            self.name = name
            log = directory.appendingPathComponent("\(name).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            handle = try FileHandle(forWritingTo: log)
            process.executableURL = executable
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        var pid: Int32 { process.processIdentifier }

        @discardableResult
        func waitFor(_ text: String, timeout: TimeInterval) throws -> String {
            let deadline = Date().addingTimeInterval(timeout)
            repeat {
                let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let line = output.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
                if !process.isRunning { break }
                Thread.sleep(forTimeInterval: 0.01)
            } while Date() < deadline
            let tail = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(2000)
            throw BenchmarkError("\(name): no '\(text)' within \(timeout) s; its log ends:\n\(tail)")
        }

        /// VmHWM of the running process.
        var peakResidentMiB: Double { status("VmHWM:") }

        /// VmRSS of the running process.
        var residentMiB: Double { status("VmRSS:") }

        private func status(_ field: String) -> Double {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
                  let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
            return kilobytes / 1024
        }

        func stop() {
            if process.isRunning {
                kill(pid, SIGKILL)
                process.waitUntilExit()
            }
            try? handle.close()
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
