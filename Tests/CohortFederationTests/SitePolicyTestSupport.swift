@testable import CohortFederation
import CohortPrivacy
import Foundation
import Testing

/// A complete site policy: every rule in play, the optional sections at their defaults
/// or written out.
let sitePolicyYAML = """
    name: hospital-a
    dataset:
      path: data/a.csv
      holdout: 0.2
    accept:
      models: [logistic-regression, mlp-small]
      strategies: [fedavg, fedprox]
      units: [record]
    privacy:
      minimum_noise_multiplier: 0.8
      maximum_epsilon_per_run: 3
      lifetime_epsilon: 8
      delta: 1e-5
    minimum_records: 100
    evaluation:
      minimum_records: 10
    plans:
      mode: within_policy
    audit_log: audit/site.jsonl
    """

/// The policy of `sitePolicyYAML`, parsed.
func sitePolicy(baseDirectory: URL? = nil) throws -> SitePolicy {
    try SitePolicy.parse(yaml: sitePolicyYAML, source: "site.yaml", baseDirectory: baseDirectory)
}

/// The `SitePolicyError` that parsing `yaml` throws, or a recorded failure.
func sitePolicyError(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> SitePolicyError? {
    do {
        let policy = try SitePolicy.parse(yaml: yaml, source: "site.yaml")
        Issue.record("expected a SitePolicyError, but the policy parsed: \(policy)", sourceLocation: sourceLocation)
    } catch {
        return error
    }
    return nil
}

/// A plan hash for tests (the SHA-256 of "plan").
let samplePlanHash = SHA256.hexDigest(of: "plan")

/// A run well within `sitePolicyYAML`: logistic regression with FedAvg, DP-SGD with σ = 1.5
/// and batches of 16 from 1,000 training records, 5 rounds of one epoch (5 × 63 steps).
func siteRequest(
    model: String = "logistic-regression", strategy: String = "fedavg", privacy: TaskRequest.Privacy? = nil,
    trainingRecords: Int = 1000, ledger: PrivacyLedger = PrivacyLedger(unit: .record, site: "hospital-a")
) -> TaskRequest {
    let steps = TaskRequest.localSteps(rounds: 5, work: LocalWork(epochs: 1, batchSize: 16), trainingRecords: trainingRecords)
    return TaskRequest(
        runID: "run-1", planHash: samplePlanHash, planName: "first-run", model: model, strategy: strategy,
        privacy: privacy ?? .record(noiseMultiplier: 1.5, batchSize: 16, steps: steps),
        trainingRecords: trainingRecords, ledger: ledger)
}

/// A folder of its own under the temporary directory, for a test's files.
func temporarySiteFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-site-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
