@testable import CohortFederation
import CohortPrivacy
import Foundation
import Testing

@Suite("Site policy: the site decides")
struct SitePolicyTests {
    @Test("a run within every rule is accepted")
    func acceptsRunWithinPolicy() throws {
        let decision = try sitePolicy().check(siteRequest())
        #expect(decision == .accept, "\(decision)")
        #expect(decision.isAccepted && decision.reasons.isEmpty)
    }

    /// One rule broken at a time: the decision gives exactly that one reason.
    struct Breach: Sendable, CustomTestStringConvertible {
        var name: String
        var policy: @Sendable (inout SitePolicy) -> Void = { _ in }
        var request: @Sendable (inout TaskRequest) -> Void = { _ in }
        var reason: String
        var testDescription: String { name }
    }

    static let breaches: [Breach] = [
        Breach(name: "model", request: { $0.model = "mlp-wide" },
               reason: "model 'mlp-wide' is not accepted (accepted: logistic-regression, mlp-small)"),
        Breach(name: "strategy", request: { $0.strategy = "fedadam" },
               reason: "strategy 'fedadam' is not accepted (accepted: fedavg, fedprox)"),
        Breach(name: "noise multiplier", policy: { $0.privacy.minimumNoiseMultiplier = 2 },
               reason: "noise multiplier 1.5 is below this site's minimum 2"),
        Breach(name: "privacy unit", request: { $0.privacy = .site(noiseMultiplier: 1.5, samplingRate: 0.1, rounds: 1) },
               reason: "privacy unit 'site' is not accepted (accepted: record)"),
        Breach(name: "no differential privacy", request: { $0.privacy = .none },
               reason: "the run has no differential privacy (privacy unit none); accepted units: record"),
        Breach(name: "training records", policy: { $0.minimumRecords = 2000 },
               reason: "only 1000 training records, the minimum is 2000"),
        Breach(name: "plan hash", policy: { $0.plans = .init(mode: .listedHashesOnly, hashes: [SHA256.hexDigest(of: "other")]) },
               reason: "plan hash \(samplePlanHash.prefix(12))… is not in this site's list"),
    ]

    @Test("each rule refuses on its own, with its reason", arguments: breaches)
    func refusesEachRule(_ breach: Breach) throws {
        var policy = try sitePolicy()
        breach.policy(&policy)
        var request = siteRequest()
        breach.request(&request)
        #expect(policy.check(request) == .refuse(reasons: [breach.reason]))
    }

    @Test("the run's ε is the accountant's for q = batch / records, σ and every local step")
    func runEpsilonFromTheAccountant() throws {
        let request = siteRequest()
        // 5 rounds × ⌈1000 / 16⌉ = 5 × 63 steps at q = 16 / 1000.
        #expect(TaskRequest.localSteps(rounds: 5, work: LocalWork(epochs: 1, batchSize: 16), trainingRecords: 1000) == 315)
        let mechanism = try SubsampledGaussian(samplingRate: 0.016, noiseMultiplier: 1.5)
        let expected = RDPAccountant().epsilon(of: mechanism, steps: 315, delta: 1e-5).epsilon
        #expect(abs(request.epsilon(delta: 1e-5) - expected) < 1e-12)
        #expect(expected > 0.1 && expected < 3)
        // Abadi et al.'s setting as dp-accounting reports it: q = 0.01, σ = 1, 1000 steps → ε ≈ 2.10.
        let abadi = TaskRequest(
            runID: "r", planHash: samplePlanHash, planName: "p", model: "m", strategy: "fedavg",
            privacy: .record(noiseMultiplier: 1, batchSize: 10, steps: 1000), trainingRecords: 1000,
            ledger: PrivacyLedger(unit: .record))
        #expect(abs(abadi.epsilon(delta: 1e-5) - 2.10) < 0.05)
    }

    @Test("a run that alone costs more than the per-run maximum is refused, with its ε")
    func refusesRunEpsilon() throws {
        var policy = try sitePolicy()
        policy.privacy.maximumEpsilonPerRun = 0.5
        let request = siteRequest()
        let epsilon = request.epsilon(delta: 1e-5)
        #expect(epsilon > 0.5)
        let decision = policy.check(request)
        #expect(decision.reasons == [
            "this run would cost ε = \(SitePolicy.number(epsilon)) (δ = 1e-5) > the site's maximum 0.5 per run"
        ])
    }

    @Test("the lifetime budget composes the ledger with the run, and refuses past it")
    func refusesLifetimeBudget() throws {
        var policy = try sitePolicy()
        var ledger = PrivacyLedger(unit: .record, site: "hospital-a")
        // An earlier run of the same size.
        try ledger.charge(PrivacyCharge(id: "run-0/run", label: "run 0", samplingRate: 0.016, noiseMultiplier: 1.5, steps: 315))
        let request = siteRequest(ledger: ledger)
        let runEpsilon = request.epsilon(delta: 1e-5)
        let lifetime = request.lifetimeEpsilon(delta: 1e-5)
        // RDP composition: more than one run, less than two runs' ε added.
        #expect(lifetime > runEpsilon * 1.2 && lifetime < 2 * runEpsilon)
        policy.privacy.maximumEpsilonPerRun = runEpsilon * 1.1
        policy.privacy.lifetimeEpsilon = runEpsilon * 1.1
        #expect(policy.check(request).reasons == [
            "lifetime budget: ε would reach \(SitePolicy.number(lifetime)) > \(SitePolicy.number(runEpsilon * 1.1)) (δ = 1e-5)"
        ])
        policy.privacy.lifetimeEpsilon = lifetime * 1.01
        #expect(policy.check(request) == .accept)
        // The same run again (same id) is not charged twice.
        try ledger.charge(try #require(try request.cost()))
        #expect(abs(siteRequest(ledger: ledger).lifetimeEpsilon(delta: 1e-5) - lifetime) < 1e-12)
    }

    @Test("every broken rule is listed, in the order of the rules")
    func listsEveryReason() throws {
        var policy = try sitePolicy()
        policy.plans = .init(mode: .listedHashesOnly, hashes: [SHA256.hexDigest(of: "other")])
        let request = siteRequest(
            model: "mlp-wide", strategy: "fedadam",
            privacy: .record(noiseMultiplier: 0.5, batchSize: 32, steps: 2000), trainingRecords: 42)
        let reasons = policy.check(request).reasons
        #expect(reasons.count == 7, "\(reasons)")
        let expectedStarts = [
            "plan hash", "model 'mlp-wide'", "strategy 'fedadam'", "noise multiplier 0.5 is below this site's minimum 0.8",
            "this run would cost ε = ", "lifetime budget: ε would reach ", "only 42 training records, the minimum is 100",
        ]
        for (reason, start) in zip(reasons, expectedStarts) {
            #expect(reason.hasPrefix(start), "\(reason)")
        }
    }

    @Test("rules accept at their boundaries and with \"*\"")
    func acceptsAtBoundaries() throws {
        var policy = try sitePolicy()
        policy.privacy.minimumNoiseMultiplier = 1.5
        policy.minimumRecords = 1000
        #expect(policy.check(siteRequest()) == .accept)

        policy.accept.models = .any
        policy.accept.strategies = .any
        #expect(policy.check(siteRequest(model: "mlp-wide", strategy: "fedyogi")) == .accept)

        policy.accept.units = [.record, .site]
        let siteLevel = siteRequest(privacy: .site(noiseMultiplier: 1.5, samplingRate: 0.1, rounds: 1))
        #expect(policy.check(siteLevel) == .accept)

        policy.plans = .init(mode: .listedHashesOnly, hashes: [SHA256.hexDigest(of: "other"), samplePlanHash])
        var request = siteRequest()
        #expect(policy.check(request) == .accept)
        request.planHash = samplePlanHash.uppercased()
        #expect(policy.check(request) == .accept)
    }

    @Test("a run whose cost cannot be computed is refused, not waved through")
    func refusesUncomputableCost() throws {
        let policy = try sitePolicy()
        let request = siteRequest(privacy: .record(noiseMultiplier: 0, batchSize: 16, steps: 100))
        let reasons = policy.check(request).reasons
        #expect(reasons.contains("noise multiplier 0 is below this site's minimum 0.8"))
        #expect(reasons.contains("this run would cost ε = ∞ (δ = 1e-5) > the site's maximum 3 per run"))
        #expect(reasons.contains("lifetime budget: ε would reach ∞ > 8 (δ = 1e-5)"))
    }

    @Test("evaluation results need at least k held-out records")
    func suppressesSmallEvaluations() throws {
        let policy = try sitePolicy()
        #expect(policy.checkEvaluation(heldOutRecords: 10) == .accept)
        #expect(policy.checkEvaluation(heldOutRecords: 9).reasons == [
            "only 9 held-out records, fewer than this site's minimum 10 for an evaluation result"
        ])
    }

    @Test("decisions read as one line")
    func describesDecisions() {
        #expect(PolicyDecision.accept.description == "accepted")
        #expect(PolicyDecision.refuse(reasons: ["a", "b"]).description == "refused: a; b")
    }
}
