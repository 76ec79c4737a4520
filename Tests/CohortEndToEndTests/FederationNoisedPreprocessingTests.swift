import CohortLearn
import CohortTestSupport
import Foundation
import Testing

/// `privacy.noise_preprocessing: true` in a real federation: the sites noise their
/// aggregates (negative counts cross the wire in cohort.proto's signed fields), charge them
/// before they leave, and the model equals `cohort simulate`'s.
@Suite("federation with noised preprocessing (real processes)", .serialized)
struct FederationNoisedPreprocessingTests {
    @Test("three sites release noised aggregates, charge RUN/preprocessing first, and the model equals `cohort simulate`'s")
    func noisedPreprocessingMatchesSimulation() async throws {
        let federation = try await TestFederation.make()
        // Every numeric feature gets a public range (wide, for the test), in the schema both
        // the plan and the sites' policies name.
        let schemaURL = federation.url("data/schema.json")
        var schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as? [String: Any])
        var features = try #require(schema["features"] as? [[String: Any]])
        for index in features.indices { features[index]["range"] = [0, 5000] }
        schema["features"] = features
        try JSONSerialization.data(withJSONObject: schema, options: [.prettyPrinted, .sortedKeys]).write(to: schemaURL)

        try await federation.startOrchestrator()
        try await federation.startSites()
        let plan = try federation.writePlan(rounds: 2, replacing: ["noise: seeded": "noise: seeded\n  noise_preprocessing: true"])
        #expect(try String(contentsOf: plan, encoding: .utf8).contains("  noise_preprocessing: true"))

        let run = try await federation.researcher(["run", plan.path, "--out", "runs/real", "--json"])
        try #require(run.status == 0, "stdout: \(run.standardOutput)\nstderr: \(run.standardError)")
        let simulated = try await CohortProcess.run(["simulate", plan.path, "--out", "runs/simulated", "--json"], in: federation.root,
                                                    setting: federation.environment)
        try #require(simulated.status == 0, "stderr: \(simulated.standardError)")
        let real = try FederationTests.weights(federation.url("runs/real/model.safetensors"))
        let local = try FederationTests.weights(federation.url("runs/simulated/model.safetensors"))
        try #require(real.count == local.count && !real.isEmpty)
        let largest = zip(real, local).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest <= 1e-5, "largest weight difference \(largest)")
        let realModel = try TrainedModel.read(from: federation.url("runs/real/model.safetensors"))
        let localModel = try TrainedModel.read(from: federation.url("runs/simulated/model.safetensors"))
        #expect(realModel.preprocessing == localModel.preprocessing, "the same noised statistics on both paths")

        // The summary no longer lists the statistics as released outside ε.
        for output in [run.standardOutput, simulated.standardOutput] {
            let summary = try TrainEvaluateTests.json(String(try #require(output.split(separator: "\n").last)))
            let outside = (summary["releasedOutsideEpsilon"] as? [String]) ?? (summary["released_outside_epsilon"] as? [String]) ?? []
            #expect(!outside.isEmpty && !outside.joined().contains("preprocessing"), "\(summary)")
        }
        // Each site charged the release first, then each round, and its ledger file holds them.
        for site in federation.siteNames {
            let charges = try FederationTests.charges(inAuditLog: federation.url("state/\(site)/audit.jsonl"))
            #expect(FederationTests.rounds(of: charges) == ["preprocessing", "round-1", "round-2"], "\(site): \(charges)")
            let ledger = try String(contentsOf: federation.url("state/\(site)/ledger.json"), encoding: .utf8)
            #expect(ledger.contains("/preprocessing"), "\(site)")
        }
    }
}
