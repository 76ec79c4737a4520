import CohortData
import CohortLearn
import CohortPrivacy
import Foundation
import Testing
@testable import CohortFederation

/// `privacy.noise_preprocessing: true`: the sites' noised preprocessing release, its charge,
/// the run's recorded ε, and what the run record says.
@Suite("Noised preprocessing statistics", .serialized)
struct NoisedPreprocessingTests {
    static let models = EngineFixtures.packageRoot.appendingPathComponent("Models")
    static let example = EngineFixtures.packageRoot.appendingPathComponent("Examples/noised-preprocessing/plan.yaml")

    /// The breast-cancer schema with a (wide, made-up) range on every feature.
    static func rangedSchema() throws -> Schema {
        var schema = try EngineFixtures.schema("breast_cancer_wdbc")
        for index in schema.features.indices { schema.features[index].range = 0...5000 }
        return schema
    }

    @Test("a site charges one Gaussian step (q = 1, σ_pre) as RUN/preprocessing, the accountant's ε, once per run")
    func siteChargesTheRelease() async throws {
        let schema = try Self.rangedSchema()
        let site = InMemorySite(name: "a", table: try CSVTable(contentsOf: EngineFixtures.csv("breast_cancer_wdbc")), seed: 1)
        let noise = PreprocessingNoise(runID: "run-1", noiseMultiplier: 2.5, noiseSeed: 9, delta: 1e-5)
        let first = try await site.aggregates(schema: schema, noise: noise)
        let charges = await site.ledger.charges
        #expect(charges.map(\.id) == ["run-1/preprocessing"])
        #expect(charges[0].mechanism.samplingRate == 1 && charges[0].mechanism.noiseMultiplier == 2.5 && charges[0].steps == 1)
        let independent = RDPAccountant().epsilon(of: try .gaussian(noiseMultiplier: 2.5), steps: 1, delta: 1e-5).epsilon
        #expect(abs(await site.ledger.epsilon(delta: 1e-5).epsilon - independent) < 1e-12)
        // Asked again: the same release, no second charge.
        #expect(try await site.aggregates(schema: schema, noise: noise) == first)
        #expect(await site.ledger.charges.count == 1)
        // The release is noised: it differs from the exact aggregates.
        let exact = try await site.aggregates(schema: schema, noise: nil)
        #expect(exact.rowCount != first.rowCount || exact.features != first.features)
    }

    @Test("a release over the site's budget is refused before anything is released or charged")
    func budgetRefusesTheRelease() async throws {
        let schema = try Self.rangedSchema()
        let site = InMemorySite(name: "a", table: try CSVTable(contentsOf: EngineFixtures.csv("breast_cancer_wdbc")), seed: 1)
        let noise = PreprocessingNoise(runID: "run-1", noiseMultiplier: 1, noiseSeed: 9, delta: 1e-5, siteBudgetEpsilon: 1)
        let error = try await #require(throws: SiteError.self) { try await site.aggregates(schema: schema, noise: noise) }
        #expect(error.code == .budgetExhausted && error.message.contains("preprocessing"), "\(error)")
        #expect(await site.ledger.charges.isEmpty)
    }

    @Test("a schema without a range, or no schema, is refused naming the field and the column")
    func rangesAreRequired() throws {
        let base = "name: r\nmodel: logistic-regression\nlabel: malignant\nrounds: 2\nsimulation: true\n"
            + "data: \(EngineFixtures.csv("breast_cancer_wdbc").path)\npartition: {kind: iid, sites: 2}\n"
            + "privacy: {unit: record, noise_multiplier: 2, noise: seeded, noise_preprocessing: true}\n"
        let inferred = try Plan.parse(yaml: base, source: "r.yaml")
        let error = try #require(throws: FederationError.self) {
            _ = try Simulation(plan: inferred, modelsDirectory: Self.models, runID: "r")
        }
        #expect(error.message.contains("privacy.noise_preprocessing") && error.message.contains("names no schema")
                && error.message.contains("\"mean_radius\""), "\(error)")

        var schema = try Self.rangedSchema()
        schema.features[3].range = nil
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-ranges-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try schema.write(to: folder.appendingPathComponent("schema.json"))
        let named = try Plan.parse(yaml: base + "schema: schema.json\n", source: "r.yaml", baseDirectory: folder)
        let missing = try #require(throws: FederationError.self) {
            _ = try Simulation(plan: named, modelsDirectory: Self.models, runID: "r")
        }
        #expect(missing.message.contains("without a range: \"\(schema.features[3].name)\"") && !missing.message.contains("no schema"),
                "\(missing)")
    }

    @Test("cohort simulate of the example: every site's ε is the accountant's composition of the release and DP-SGD, ≤ the target")
    func exampleRunAccountsThePreprocessing() async throws {
        let plan = try Plan.load(from: Self.example, modelsDirectory: Self.models)
        #expect(plan.privacy.noisePreprocessing)
        let simulation = try Simulation(plan: plan, modelsDirectory: Self.models, runID: plan.name)
        let sigma = simulation.configuration.privacy.noiseMultiplier
        #expect(simulation.configuration.preprocessingNoiseMultiplier == sigma, "σ_pre defaults to the run's σ")
        var engine = RoundEngine(configuration: simulation.configuration, strategy: simulation.strategy)
        let result = try await engine.run(sites: simulation.sites)
        #expect(result.stoppedEarly == nil && result.history.count == plan.rounds)
        let epsilons = try #require(result.history.last?.epsilon)
        #expect(epsilons.count == 5)
        let accountant = RDPAccountant()
        for site in simulation.sites {
            let rows = try await site.trainingRecordCount(schema: simulation.configuration.schema)
            let batch = min(plan.local.batchSize, rows)
            let steps = plan.rounds * ((rows + batch - 1) / batch)
            let training = accountant.rdp(of: try SubsampledGaussian(samplingRate: Double(batch) / Double(rows), noiseMultiplier: sigma),
                                          steps: steps)
            let release = accountant.rdp(of: try .gaussian(noiseMultiplier: sigma))
            let expected = try training.composed(with: release).epsilon(delta: plan.privacy.delta).epsilon
            let recorded = try #require(epsilons[site.name])
            #expect(abs(recorded - expected) < 1e-9, "\(site.name): \(recorded) vs \(expected)")
            #expect(recorded <= 3 + 1e-9)
            #expect(await site.ledger.charges.first?.id == "\(plan.name)/preprocessing")
        }
        // σ was calibrated with the release counted: the worst site spends close to the target.
        #expect(epsilons.values.max() ?? 0 > 2.8, "\(epsilons)")
        let accuracy = try #require(result.history.last(where: { $0.accuracy != nil })?.accuracy)
        print("noised preprocessing, maternal health: accuracy \(accuracy), σ = \(sigma), ε \(epsilons)")
        #expect(accuracy > 0.6, "three classes, 41% in the largest")
        #expect(result.model.provenance.privacy?.contains("noised preprocessing statistics") == true)

        let summary = RunSummary(result: result, configuration: simulation.configuration, runDirectory: "x")
        #expect(!summary.releasedOutsideEpsilon.joined().contains("preprocessing"))
        #expect(summary.releasedOutsideEpsilon.contains { $0.contains("records per site") })
    }

    @Test("the exact release is still listed as outside ε")
    func exactReleaseIsListed() throws {
        var plan = try Plan.load(from: Self.example, modelsDirectory: Self.models)
        plan.privacy.noisePreprocessing = false
        let simulation = try Simulation(plan: plan, modelsDirectory: Self.models, runID: plan.name)
        #expect(simulation.configuration.preprocessingNoise == nil)
    }

    @Test("with target_epsilon the calibrated σ covers the release; a given σ_pre is used as given")
    func calibrationCountsTheRelease() throws {
        var plan = try Plan.load(from: Self.example, modelsDirectory: Self.models)
        let noised = try Simulation(plan: plan, modelsDirectory: Self.models, runID: "a").configuration.privacy.noiseMultiplier
        plan.privacy.noisePreprocessing = false
        let plain = try Simulation(plan: plan, modelsDirectory: Self.models, runID: "b").configuration.privacy.noiseMultiplier
        #expect(noised > plain, "the release costs ε, so training gets more noise: \(noised) vs \(plain)")
        plan.privacy.noisePreprocessing = true
        plan.privacy.preprocessingNoiseMultiplier = 20
        let configuration = try Simulation(plan: plan, modelsDirectory: Self.models, runID: "c").configuration
        #expect(configuration.preprocessingNoiseMultiplier == 20)
        #expect(configuration.privacy.noiseMultiplier < noised && configuration.privacy.noiseMultiplier > plain)
    }

    @Test("a site's projected ε includes the release; σ_pre below the site's minimum is refused")
    func policyProjectsTheRelease() throws {
        let ledger = PrivacyLedger(unit: .record, site: "a")
        var request = TaskRequest(
            runID: "r", planHash: "h", planName: "p", model: "logistic-regression", strategy: "fedavg",
            privacy: .record(noiseMultiplier: 2, batchSize: 16, steps: 100), trainingRecords: 160, ledger: ledger)
        let plain = request.epsilon(delta: 1e-5)
        request.preprocessingNoiseMultiplier = 1.5
        let accountant = RDPAccountant()
        let expected = try accountant.rdp(of: SubsampledGaussian(samplingRate: 0.1, noiseMultiplier: 2), steps: 100)
            .composed(with: accountant.rdp(of: .gaussian(noiseMultiplier: 1.5))).epsilon(delta: 1e-5).epsilon
        #expect(abs(request.epsilon(delta: 1e-5) - expected) < 1e-12)
        #expect(abs(request.lifetimeEpsilon(delta: 1e-5) - expected) < 1e-12)
        #expect(expected > plain)
        #expect(try request.costs().map(\.id) == ["r/preprocessing", "r/run"])

        // A policy whose per-run maximum lies between the two: the training alone fits, the
        // training with the release does not, and the refusal says so.
        var policy = try sitePolicy()
        policy.privacy.maximumEpsilonPerRun = (plain + expected) / 2
        var plainRequest = request
        plainRequest.preprocessingNoiseMultiplier = nil
        #expect(policy.check(plainRequest).isAccepted, "\(policy.check(plainRequest).reasons)")
        let refusal = policy.check(request)
        #expect(!refusal.isAccepted && refusal.reasons.contains { $0.contains("this run would cost ε") }, "\(refusal.reasons)")
    }

    /// The fixture's run context with a plan asking for noised preprocessing at σ_pre (and
    /// training at σ = 1.5), over a schema with ranges.
    static func noisedContext(_ fixture: SiteWorkerTests.Fixture, preprocessingNoiseMultiplier: Double) throws
        -> SiteWorker.RunContext {
        var context = try fixture.context(sigma: 1.5)
        context.schema = try rangedSchema()
        context.planYAML = "name: t\nmodel: logistic-regression\nlabel: malignant\nrounds: 3\nsimulation: true\n"
            + "sites:\n  - {name: hospital-a}\n"
            + "privacy: {unit: record, noise_multiplier: 1.5, noise: seeded, noise_preprocessing: true, "
            + "preprocessing_noise_multiplier: \(preprocessingNoiseMultiplier)}\n"
        context.planHash = try Plan.parse(yaml: context.planYAML).hash
        return context
    }

    @Test("repeat releases: the kept release after an idle release; without it, none in the same process, and after restarts refused once they would pass the policy's caps")
    func repeatReleasesAreBounded() async throws {
        let fixture = try SiteWorkerTests.Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let context = try Self.noisedContext(fixture, preprocessingNoiseMultiplier: 1)

        // Made, then let go with the idle run: a second ask gets the kept release.
        let clock = SiteWorkerTests.ManualClock()
        let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state, clock: clock.read)
        let first = try await worker.aggregates(context, taskID: "p1")
        clock.advance(700)
        #expect(try await worker.releaseIdleRuns(idleFor: 600) == [context.runID])
        #expect(try await worker.aggregates(context, taskID: "p2") == first)
        #expect(await worker.ledger.charges.count == 1)

        // Without it (removed here), a second ask is refused, not released again.
        let keptFile = fixture.state.appendingPathComponent("sent/\(context.runID).aggregates.json")
        try FileManager.default.removeItem(at: keptFile)
        let again = await #expect(throws: SiteError.self) { try await worker.aggregates(context, taskID: "p3") }
        #expect(again?.message.contains("was made and let go when the run had no task for 700 s, and it is not kept") == true,
                "\(String(describing: again))")
        #expect(await worker.ledger.charges.count == 1)

        // Each restart that finds no kept release (lost, removed here) may release it again,
        // charged as a repeat, until the run's charges would pass the policy's maximum ε per
        // run (10 here).
        var refusal: SiteError?
        for attempt in 2...40 where refusal == nil {
            try? FileManager.default.removeItem(at: keptFile)
            let restarted = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
            do {
                _ = try await restarted.aggregates(context, taskID: "p-restart-\(attempt)")
            } catch let error as SiteError {
                refusal = error
            }
        }
        let refused = try #require(refusal)
        #expect(refused.message.contains("would bring this run's ε to"), "\(refused)")
        let final = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        let spent = await final.ledger.epsilon(delta: 1e-5).epsilon
        #expect(spent <= 10 && spent > 1, "ε spent on repeats \(spent)")
    }

    @Test("site worker: the charge is in ledger.json and the audit log before the release returns; a restarted site sends the kept release, and charges a new one only without it")
    func workerSavesTheChargeFirst() async throws {
        let fixture = try SiteWorkerTests.Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let context = try Self.noisedContext(fixture, preprocessingNoiseMultiplier: 4)
        let ledgerFile = fixture.state.appendingPathComponent("ledger.json")
        let first: FeatureAggregates
        do {
            let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
            first = try await worker.aggregates(context, taskID: "p")
            let saved = try JSONDecoder().decode(PrivacyLedger.self, from: Data(contentsOf: ledgerFile))
            #expect(saved.charges.map(\.id) == ["run-0001-0badcafe/preprocessing"])
            #expect(saved.charges.first?.mechanism == (try .gaussian(noiseMultiplier: 4)))
            #expect(try fixture.auditEvents().filter { $0 == "budget_spent" }.count == 1)
            // Asked again in the same process: the same release, no new charge.
            #expect(try await worker.aggregates(context, taskID: "p2") == first)
            #expect(await worker.ledger.charges.count == 1)
            // Training then composes with it in the site's ε.
            let statistics = try PreprocessingStatistics(schema: context.schema, noisedAggregates: first)
            let update = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1")
            let ledger = await worker.ledger
            #expect(ledger.charges.map(\.id) == ["run-0001-0badcafe/preprocessing", "run-0001-0badcafe/round-1"])
            #expect(abs((update.siteEpsilon ?? 0) - ledger.epsilon(delta: 1e-5).epsilon) < 1e-12)
        }
        let restarted = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        // The release was kept on disk: sent again, nothing charged.
        #expect(try await restarted.aggregates(context, taskID: "p3") == first)
        #expect(await restarted.ledger.charges.count == 2)
        // Without it, answering again is a new release (with seeded test noise it happens to
        // repeat the first), charged under its own id.
        try FileManager.default.removeItem(at: fixture.state.appendingPathComponent("sent/\(context.runID).aggregates.json"))
        _ = try await restarted.aggregates(context, taskID: "p4")
        #expect(await restarted.ledger.charges.map(\.id).contains("run-0001-0badcafe/preprocessing/repeat-2"))
        #expect(try AuditLog.verify(fileAt: fixture.folder.appendingPathComponent("audit.jsonl")).isIntact)
    }

    @Test("site worker: σ_pre below the site's minimum is refused with its reason")
    func workerRefusesWeakPreprocessingNoise() async throws {
        let fixture = try SiteWorkerTests.Fixture(minimumNoise: 1)
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let context = try Self.noisedContext(fixture, preprocessingNoiseMultiplier: 0.5)
        let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        let error = try await #require(throws: SiteError.self) { try await worker.aggregates(context, taskID: "p") }
        #expect(error.message.contains("preprocessing noise multiplier 0.5 is below this site's minimum 1"), "\(error)")
        #expect(await worker.ledger.charges.isEmpty)
    }
}
