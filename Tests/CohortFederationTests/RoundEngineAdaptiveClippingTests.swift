import CohortData
import CohortLearn
import CohortPrivacy
import Foundation
import Synchronization
import Testing
@testable import CohortFederation

/// A site whose delta always has the same L2 norm, and which reports its clipping bit
/// bᵢ − ½ without noise (or a chosen bad value), so the engine's arithmetic can be checked
/// exactly. It records the clip bound each round's task carried.
private final class FixedNormSite: SiteConnection {
    enum Signal: Sendable { case honest, missing, value(Double) }
    let name: String
    let norm: Float
    let inner: InMemorySite
    let signal: Signal
    let boundsSeen = Mutex<[Int: Float]>([:])

    init(name: String, norm: Float, inner: InMemorySite, signal: Signal = .honest) {
        self.name = name
        self.norm = norm
        self.inner = inner
        self.signal = signal
    }

    func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates {
        try await inner.aggregates(schema: schema, noise: noise)
    }

    func train(_ task: TrainingTask) async throws -> SiteUpdate {
        let bound = try #require(task.privacy.deltaClipNorm)
        boundsSeen.withLock { $0[task.round] = bound }
        var delta = [Float](repeating: norm / Float(task.global.count).squareRoot(), count: task.global.count)
        let factor = clip(&delta, toNorm: bound)
        var update = SiteUpdate(delta: delta, records: 10, steps: 1, trainingLoss: 0.5)
        switch signal {
        case .honest: update.unclippedSignal = factor == 1 ? 0.5 : -0.5
        case .missing: update.unclippedSignal = nil
        case .value(let value): update.unclippedSignal = value
        }
        return update
    }

    func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation { try await inner.evaluate(task) }
}

@Suite("Round engine: adaptive clipping of site deltas (Andrew et al. 2021)")
struct RoundEngineAdaptiveClippingTests {
    static func configuration(rounds: Int, clipping: AdaptiveClipping, zDelta: Double, sampling: SiteSampling = .init())
        throws -> FederationConfiguration {
        var configuration = FederationConfiguration(
            runID: "adaptive", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression),
            schema: try EngineFixtures.schema("breast_cancer_wdbc"), rounds: rounds, sampling: sampling,
            local: LocalWork(epochs: 1, batchSize: 32, learningRate: 0.1),
            privacy: TaskPrivacy(unit: .site, deltaClipNorm: Float(clipping.clipNorm), noiseMultiplier: zDelta, noiseSeed: 3,
                                 delta: 1e-5, unclippedCountNoise: clipping.countNoiseStandardDeviation),
            evaluateEvery: 1000, seed: 7)
        configuration.adaptiveClipping = clipping
        return configuration
    }

    private static func sites(norms: [Float], signals: [FixedNormSite.Signal]? = nil) throws -> [FixedNormSite] {
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: norms.count)
        return norms.enumerated().map { index, norm in
            FixedNormSite(name: "site-\(index)", norm: norm, inner: InMemorySite(name: "site-\(index)", table: tables[index]),
                          signal: signals?[index] ?? .honest)
        }
    }

    @Test("each round's bound is the last one moved by C·exp(−η(b̃ − γ)); it settles at the target quantile of the norms")
    func boundFollowsTheQuantile() async throws {
        let clipping = try AdaptiveClipping(initialClipNorm: 10, targetQuantile: 0.5, learningRate: 0.2, countNoiseStandardDeviation: 1)
        let sites = try Self.sites(norms: [1, 2, 3, 4, 5])
        var engine = RoundEngine(configuration: try Self.configuration(rounds: 60, clipping: clipping, zDelta: 0.5),
                                 strategy: try FedAvg())
        let result = try await engine.run(sites: sites)
        let history = result.history
        #expect(history.count == 60)
        #expect(history[0].clipNorm == 10)
        var expected = 10.0
        for record in history {
            let bound = try #require(record.clipNorm)
            #expect(bound == expected, "round \(record.round)")
            // Honest, noiseless bits: b̃ is the fraction of norms within the bound.
            let unclipped = [1.0, 2, 3, 4, 5].filter { Float($0) <= Float(bound) }.count
            let fraction = try #require(record.unclippedFraction)
            #expect(abs(fraction - Double(unclipped) / 5) < 1e-12, "round \(record.round)")
            for site in sites {
                #expect(site.boundsSeen.withLock { $0[record.round] } == Float(bound), "the task of round \(record.round)")
            }
            expected = bound * exp(-0.2 * (fraction - 0.5))
        }
        // From 10 the bound falls while every delta is unclipped, then oscillates around the
        // median norm 3 by one step of exp(±0.2·0.1) (fractions 0.4 and 0.6).
        #expect(history[0..<5].allSatisfy { ($0.unclippedFraction ?? 0) > 0.99 })
        for record in history.suffix(20) {
            let bound = try #require(record.clipNorm)
            #expect(bound > 3 * exp(-0.05) && bound < 3 * exp(0.05), "round \(record.round): C = \(bound)")
        }
    }

    @Test("the run ledger charges each round at the pair's z = (z_Δ⁻² + (2σ_b)⁻²)^(−1/2), as the accountant computes it")
    func accountingUsesTheTotalNoiseMultiplier() async throws {
        let z = 1.2, sigmaB = 1.5
        let zDelta = try AdaptiveClipping.deltaNoiseMultiplier(total: z, countNoiseStandardDeviation: sigmaB)
        let clipping = try AdaptiveClipping(initialClipNorm: 2, countNoiseStandardDeviation: sigmaB)
        var engine = RoundEngine(
            configuration: try Self.configuration(rounds: 6, clipping: clipping, zDelta: zDelta,
                                                  sampling: SiteSampling(size: .count(2), minimum: 2)),
            strategy: try FedAvg())
        let result = try await engine.run(sites: try Self.sites(norms: [1, 2, 3, 4]))
        // Independently: 6 steps of the Poisson-subsampled Gaussian, q = 2/4, σ = z.
        let expected = RDPAccountant().epsilon(of: try SubsampledGaussian(samplingRate: 0.5, noiseMultiplier: z), steps: 6,
                                               delta: 1e-5).epsilon
        let recorded = try #require(result.history.last?.epsilon["run"])
        #expect(abs(recorded - expected) / expected < 1e-9)
        #expect(engine.runLedger.charges.count == 6)
        #expect(result.model.provenance.privacy?.contains("adaptive clipping") == true)
        // Against the orchestrator (q = 1): the site sampled in most rounds, one plain
        // Gaussian step at z per round it was sampled in.
        var sampled = [String: Int]()
        for record in result.history { for site in record.sampled { sampled[site, default: 0] += 1 } }
        let mostRounds = try #require(sampled.values.max())
        let direct = RDPAccountant().epsilon(of: try SubsampledGaussian.gaussian(noiseMultiplier: z), steps: mostRounds,
                                             delta: 1e-5).epsilon
        let summary = RunSummary(result: result, configuration: engine.configuration, runDirectory: "/tmp/x")
        #expect(abs((summary.epsilonAgainstOrchestrator ?? 0) - direct) / direct < 1e-9)
        #expect(direct > recorded, "sampling amplification holds only against observers who do not know the sample")
        #expect(result.model.provenance.privacy?.contains(String(format: "against the orchestrator, which knows whom it sampled: ε ≤ %.3f", direct)) == true)
    }

    @Test("a site that leaves out its clipping bit, or sends one that is not ±½ plus noise, is dropped with the reason")
    func badSignalsAreDropped() async throws {
        let clipping = try AdaptiveClipping(initialClipNorm: 2, countNoiseStandardDeviation: 0.5)
        let sites = try Self.sites(norms: [1, 1.5, 3, 4], signals: [.honest, .honest, .missing, .value(1e6)])
        var engine = RoundEngine(
            configuration: try Self.configuration(rounds: 2, clipping: clipping, zDelta: 0.5,
                                                  sampling: SiteSampling(size: .all, minimum: 2)),
            strategy: try FedAvg())
        let result = try await engine.run(sites: sites)
        for record in result.history {
            #expect(record.answered == ["site-0", "site-1"])
            #expect(record.dropped["site-2"]?.contains("lacks the clipping bit") == true)
            #expect(record.dropped["site-3"]?.contains("is not ±½ plus noise") == true)
        }
        // The 2 sampled-and-answered sites' bits are both 1 (norms 1, 1.5 ≤ 2); the dropped two count ½.
        #expect(abs((result.history[0].unclippedFraction ?? 0) - (1.0 / 4 + 0.5)) < 1e-12)
    }

    @Test("InMemorySite reports bᵢ − ½ plus its own noise: +½ within the bound, −½ beyond it")
    func siteSignal() async throws {
        let table = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 1)[0]
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        for (bound, sign) in [(Float(1e6), 1.0), (Float(1e-6), -1.0)] {
            let clipping = try AdaptiveClipping(initialClipNorm: Double(bound), countNoiseStandardDeviation: 1e-9)
            var configuration = try Self.configuration(rounds: 1, clipping: clipping, zDelta: 1e-9)
            configuration.schema = schema
            let site = InMemorySite(name: "solo", table: table)
            var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
            let result = try await engine.run(sites: [site])
            let fraction = try #require(result.history[0].unclippedFraction)
            // One site: b̃ = (b − ½ + ξ) + ½ = b up to σ_b = 1e-9.
            #expect(abs(fraction - (sign > 0 ? 1 : 0)) < 1e-6, "bound \(bound)")
        }
    }

    @Test("a plan's adaptive_clipping splits its σ between deltas and bits; count_noise ≤ σ/2 is refused by name")
    func planConfiguration() throws {
        func configuration(_ adaptive: String) throws -> FederationConfiguration {
            let yaml = """
                name: adaptive
                model: logistic-regression
                label: malignant
                rounds: 3
                sites:
                  - {name: a}
                  - {name: b}
                privacy:
                  unit: site
                  clip: 0.7
                  noise_multiplier: 1.0
                  adaptive_clipping: \(adaptive)
                """
            let plan = try Plan.parse(yaml: yaml, source: "adaptive.yaml")
            return try FederationConfiguration(
                plan: plan, definition: try EngineFixtures.definition(EngineFixtures.logisticRegression),
                schema: try EngineFixtures.schema("breast_cancer_wdbc"), siteRows: nil, siteCount: 2, runID: "r")
        }
        let given = try configuration("{count_noise: 2, target_quantile: 0.7, learning_rate: 0.1}")
        #expect(given.privacy.unclippedCountNoise == 2)
        #expect(abs(given.privacy.noiseMultiplier - 1 / (1 - 1.0 / 16).squareRoot()) < 1e-12)
        #expect(abs(given.privacy.accountedNoiseMultiplier - 1) < 1e-12)
        #expect(given.adaptiveClipping?.clipNorm == 0.7)
        #expect(given.adaptiveClipping?.targetQuantile == 0.7)
        #expect(given.adaptiveClipping?.learningRate == 0.1)
        let defaulted = try configuration("{}")
        #expect(defaulted.privacy.unclippedCountNoise == 1)
        #expect(abs(defaulted.privacy.noiseMultiplier - 2 / 3.0.squareRoot()) < 1e-12)
        #expect(defaulted.adaptiveClipping?.targetQuantile == 0.5)
        let error = try #require(throws: FederationError.self) { try configuration("{count_noise: 0.4}") }
        #expect(error.message.contains("privacy.adaptive_clipping.count_noise"))
        #expect(error.message.contains("2σ_b > z"))
    }
}

@Suite("Round engine: a record-unit target ε calibrated from the sites' row counts (a real federation)")
struct RoundEngineRecordCalibrationTests {
    static func configuration(target: Double, rounds: Int = 3) throws -> FederationConfiguration {
        var configuration = FederationConfiguration(
            runID: "calibrated", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression),
            schema: try EngineFixtures.schema("breast_cancer_wdbc"), rounds: rounds,
            local: LocalWork(epochs: 1, batchSize: 16, learningRate: 0.1),
            privacy: TaskPrivacy(unit: .record, exampleClipNorm: 1, noiseMultiplier: 0, noiseSeed: 5, delta: 1e-5),
            evaluateEvery: 10, seed: 3)
        configuration.recordTargetEpsilon = target
        return configuration
    }

    @Test("σ is the largest any site needs for the target; every site spends at most the target, the neediest about all of it")
    func everySiteWithinTheTarget() async throws {
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 3)
        // Different holdouts give the sites different training rows.
        let sites = zip(tables, [0.2, 0.5, 0.3]).enumerated().map { index, pair in
            InMemorySite(name: "site-\(index)", table: pair.0, holdoutFraction: pair.1, seed: UInt64(index))
        }
        var engine = RoundEngine(configuration: try Self.configuration(target: 2), strategy: try FedAvg())
        _ = try await engine.run(sites: sites)
        let sigma = engine.configuration.privacy.noiseMultiplier
        #expect(sigma > 0)
        // Independently: each site's σ for ε = 2 over its 3 rounds of ⌈rows/16⌉ steps at q = 16/rows.
        var needs = [Double]()
        var spent = [Double]()
        for site in sites {
            let rows = try await site.trainingRecordCount(schema: engine.configuration.schema)
            let steps = 3 * ((rows + 15) / 16)
            let mechanism = try RDPAccountant().calibrate(
                samplingRate: 16 / Double(rows), steps: steps, budget: try PrivacyBudget(epsilon: 2, delta: 1e-5))
            needs.append(mechanism.noiseMultiplier)
            spent.append(await site.ledger.epsilon(delta: 1e-5).epsilon)
        }
        #expect(sigma == needs.max())
        #expect(spent.allSatisfy { $0 <= 2 + 1e-6 }, "\(spent)")
        #expect(abs((spent.max() ?? 0) - 2) < 0.01, "\(spent)")
    }

    @Test("a plan's target_epsilon without row counts (a real federation) is left to the engine; with noised preprocessing it is refused by name")
    func planConfiguration() throws {
        // Public ranges on every column, as noised preprocessing needs.
        var schema = try EngineFixtures.schema("breast_cancer_wdbc")
        for index in schema.features.indices { schema.features[index].range = 0...5000 }
        func configuration(_ privacy: String) throws -> FederationConfiguration {
            let yaml = "name: t\nmodel: logistic-regression\nlabel: malignant\nrounds: 3\nsites:\n  - {name: a}\n  - {name: b}\n"
                + "schema: s.json\nprivacy: \(privacy)\n"
            return try FederationConfiguration(
                plan: try Plan.parse(yaml: yaml, source: "t.yaml"),
                definition: try EngineFixtures.definition(EngineFixtures.logisticRegression),
                schema: schema, siteRows: nil, siteCount: 2, runID: "r")
        }
        let pending = try configuration("{unit: record, clip: 1, target_epsilon: 3}")
        #expect(pending.recordTargetEpsilon == 3 && pending.privacy.noiseMultiplier == 0)
        let given = try configuration("{unit: record, clip: 1, noise_multiplier: 1.5}")
        #expect(given.recordTargetEpsilon == nil && given.privacy.noiseMultiplier == 1.5)
        let error = try #require(throws: FederationError.self) {
            try configuration("{unit: record, clip: 1, target_epsilon: 3, noise_preprocessing: true, preprocessing_noise_multiplier: 2}")
        }
        #expect(error.message.contains("privacy.target_epsilon"), "\(error)")
    }
}
