import CohortLearn
import CohortTestSupport
import Foundation
import Testing

/// A real federation: `cohort orchestrator`, three `cohort site` workers and the researcher's
/// `cohort run`, as separate processes talking gRPC over mutual TLS on 127.0.0.1.
@Suite("federation (real processes, gRPC over mutual TLS)", .serialized)
struct FederationTests {
    /// The model's weights, flattened in file order.
    static func weights(_ url: URL) throws -> [Float] {
        try TrainedModel.read(from: url).network.parameters.flattened()
    }

    /// The `budget_spent` charge ids of a site's audit log, in order.
    static func charges(inAuditLog url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { line in
            let entry = try TrainEvaluateTests.json(String(line))
            guard entry["event"] as? String == "budget_spent", let details = entry["details"] as? [String: Any] else { return nil }
            return details["charge"] as? String
        }
    }

    @Test("three sites and a researcher run a plan to completion; the model equals `cohort simulate` of the same plan")
    func runMatchesSimulation() throws {
        let federation = try TestFederation()
        try federation.startOrchestrator()
        try federation.startSites()
        let plan = try federation.writePlan(rounds: 4)

        let run = try federation.researcher(["run", plan.path, "--out", "runs/real", "--json"])
        try #require(run.status == 0, "stdout: \(run.standardOutput)\nstderr: \(run.standardError)")
        #expect(run.standardOutput.contains("4 rounds completed"))
        #expect(run.standardError.contains("round 4/4  sites 3/3"))
        let simulated = try CohortProcess.run(["simulate", plan.path, "--out", "runs/simulated"], in: federation.root,
                                              setting: federation.environment)
        try #require(simulated.status == 0, "stderr: \(simulated.standardError)")

        let real = try Self.weights(federation.url("runs/real/model.safetensors"))
        let local = try Self.weights(federation.url("runs/simulated/model.safetensors"))
        try #require(real.count == local.count && !real.isEmpty)
        let largest = zip(real, local).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest <= 1e-5, "largest weight difference \(largest)")
        // The same run folder as simulate: one metrics line per round, a report, a summary.
        let metrics = try String(contentsOf: federation.url("runs/real/metrics.jsonl"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 4)
        #expect(FileManager.default.fileExists(atPath: federation.url("runs/real/report.html").path))
        let summary = try TrainEvaluateTests.json(String(try #require(run.standardOutput.split(separator: "\n").last)))
        #expect(summary["rounds"] as? Int == 4)

        // Every site charged each round exactly once, and its audit log verifies.
        for site in federation.siteNames {
            let log = federation.url("state/\(site)/audit.jsonl")
            let charges = try Self.charges(inAuditLog: log)
            #expect(charges == (1...4).map { "run-0001/round-\($0)" }, "\(site): \(charges)")
            let verify = try CohortProcess.run(["audit", "verify", log.path])
            #expect(verify.status == 0, "\(site): \(verify.standardOutput) \(verify.standardError)")
        }
        let runs = try federation.researcher(["runs"])
        #expect(runs.status == 0 && runs.standardOutput.contains("completed") && runs.standardOutput.contains("4/4"),
                "\(runs.standardOutput) \(runs.standardError)")
    }

    /// The round records of a run folder's metrics.jsonl.
    static func rounds(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try TrainEvaluateTests.json(String($0)) }
    }

    @Test("a site killed in mid-round: the round completes with the others, and the site rejoins after a restart")
    func siteKilledMidRound() throws {
        let federation = try TestFederation()
        federation.environment["COHORT_TEST_TRAINING_DELAY_MS"] = "500"
        try federation.startOrchestrator()
        try federation.startSites()
        let plan = try federation.writePlan(rounds: 10)
        let run = try BackgroundProcess(
            "run", ["run", plan.path, "--out", "runs/killed", "--orchestrator", "127.0.0.1:\(federation.port)", "--pki", "pki/dr-lee"],
            in: federation.root, logDirectory: federation.url("logs"), setting: federation.environment)
        let orchestrator = try #require(federation.orchestrator)
        try orchestrator.waitForLine(containing: "run-0001: round 2 ")
        // Round 3's training tasks are out; hospital-c is in its 0.5 s pause when it dies.
        federation.sites["hospital-c"]?.kill()
        try orchestrator.waitForLine(containing: "run-0001: round 3 ")
        try federation.startSite("hospital-c")
        try run.waitForLine(containing: "rounds completed", timeout: 120)

        let records = try Self.rounds(federation.url("runs/killed/metrics.jsonl"))
        #expect(records.count == 10)
        let answered = records.map { ($0["answered"] as? [String]) ?? [] }
        let dropped = try #require(answered.firstIndex { !$0.contains("hospital-c") }, "hospital-c was never dropped: \(answered)")
        #expect(answered[dropped].count == 2, "the round went on with the other two: \(answered[dropped])")
        let droppedReasons = (records[dropped]["dropped"] as? [String: String]) ?? [:]
        #expect(droppedReasons["hospital-c"] != nil, "\(droppedReasons)")
        #expect(answered[(dropped + 1)...].contains { $0.contains("hospital-c") }, "hospital-c never rejoined: \(answered)")
        // Each round hospital-c trained is charged once in its ledger, across the restart.
        let charges = try Self.charges(inAuditLog: federation.url("state/hospital-c/audit.jsonl"))
        #expect(Set(charges).count == charges.count, "\(charges)")
    }
}
