import CohortData
import CohortLearn
import CohortPrivacy
import Foundation
import Synchronization
import Testing
@testable import CohortFederation

/// The checkpoints a run hands to `save`, kept as an orchestrator would keep them: through
/// their JSON form, so a resumed run starts from what a file would give back.
final class CheckpointKeeper: Sendable {
    private let saved = Mutex<[Int: Data]>([:])
    /// The round after which `save` throws `Interrupted` (once), as a crash would stop the run.
    private let interruptAfter: Mutex<Int?>

    init(interruptAfter: Int? = nil) { self.interruptAfter = Mutex(interruptAfter) }

    struct Interrupted: Error {}

    func save(_ checkpoint: RunCheckpoint) throws {
        let data = try JSONEncoder().encode(checkpoint)
        saved.withLock { $0[checkpoint.round] = data }
        let crash = interruptAfter.withLock { round in
            defer { if round == checkpoint.round { round = nil } }
            return round == checkpoint.round
        }
        if crash { throw Interrupted() }
    }

    func checkpoint(after round: Int) throws -> RunCheckpoint {
        let data = try #require(saved.withLock { $0[round] })
        return try JSONDecoder().decode(RunCheckpoint.self, from: data)
    }
}

/// One run's outcome and everything a resumed run must reproduce.
private struct RunOutcome {
    var weights: [UInt32]
    var history: [RoundRecord]
    var runLedger: PrivacyLedger
    var siteLedgers: [PrivacyLedger]
    var finalCheckpoint: RunCheckpoint
}

/// The records without their timings (the only field two identical runs differ in).
private func untimed(_ history: [RoundRecord]) -> [RoundRecord] {
    history.map { record in
        var record = record
        record.seconds = 0
        return record
    }
}

private struct ResumeScenario {
    var configuration: FederationConfiguration
    var makeStrategy: @Sendable () throws -> any FederatedStrategy
    var siteCount: Int

    func sites() throws -> [InMemorySite] {
        try EngineFixtures.iidSites("breast_cancer_wdbc", count: siteCount).enumerated().map {
            InMemorySite(name: "site-\($0.offset)", table: $0.element, holdoutFraction: 0.2, seed: UInt64($0.offset))
        }
    }

    private func outcome(_ engine: RoundEngine, _ result: RoundEngine.Result, sites: [InMemorySite], keeper: CheckpointKeeper) async throws -> RunOutcome {
        var ledgers = [PrivacyLedger]()
        for site in sites { ledgers.append(await site.ledger) }
        return RunOutcome(
            weights: result.model.network.parameters.flattened().map(\.bitPattern), history: result.history,
            runLedger: engine.runLedger, siteLedgers: ledgers,
            finalCheckpoint: try keeper.checkpoint(after: configuration.rounds))
    }

    /// All rounds in one go.
    func uninterrupted() async throws -> RunOutcome {
        let sites = try sites()
        let keeper = CheckpointKeeper()
        var engine = RoundEngine(configuration: configuration, strategy: try makeStrategy())
        let result = try await engine.run(sites: sites, checkpoint: { try keeper.save($0) })
        return try await outcome(engine, result, sites: sites, keeper: keeper)
    }

    /// Stopped by a "crash" in `save` after round `crashAfter`, then resumed by a new engine
    /// (a restarted orchestrator) from the checkpoint of round `resumeAfter` ≤ `crashAfter`,
    /// against the same sites (which did not restart).
    func interrupted(crashAfter: Int, resumeAfter: Int) async throws -> RunOutcome {
        let sites = try sites()
        let keeper = CheckpointKeeper(interruptAfter: crashAfter)
        var first = RoundEngine(configuration: configuration, strategy: try makeStrategy())
        await #expect(throws: CheckpointKeeper.Interrupted.self) {
            _ = try await first.run(sites: sites, checkpoint: { try keeper.save($0) })
        }
        var resumed = RoundEngine(configuration: configuration, strategy: try makeStrategy())
        let result = try await resumed.run(
            sites: sites, resumingFrom: try keeper.checkpoint(after: resumeAfter), checkpoint: { try keeper.save($0) })
        return try await outcome(resumed, result, sites: sites, keeper: keeper)
    }

    /// Checks that an interrupted and resumed run equals an uninterrupted one, and that every
    /// ledger holds each round's charge once.
    func expectResumeIsExact(crashAfter: Int, resumeAfter: Int) async throws {
        let whole = try await uninterrupted()
        let pieces = try await interrupted(crashAfter: crashAfter, resumeAfter: resumeAfter)
        #expect(pieces.weights == whole.weights, "final weights differ")
        #expect(untimed(pieces.history) == untimed(whole.history))
        #expect(pieces.history.map(\.round) == Array(1...configuration.rounds))
        #expect(pieces.runLedger == whole.runLedger)
        #expect(pieces.siteLedgers == whole.siteLedgers)
        var wholeCheckpoint = whole.finalCheckpoint, piecesCheckpoint = pieces.finalCheckpoint
        wholeCheckpoint.history = untimed(wholeCheckpoint.history)
        piecesCheckpoint.history = untimed(piecesCheckpoint.history)
        #expect(piecesCheckpoint.global.map(\.bitPattern) == wholeCheckpoint.global.map(\.bitPattern))
        #expect(piecesCheckpoint.preprocessing == wholeCheckpoint.preprocessing)
        #expect(piecesCheckpoint.strategy == wholeCheckpoint.strategy)
        #expect(piecesCheckpoint.runLedger == wholeCheckpoint.runLedger)
        #expect(piecesCheckpoint.siteEpsilons == wholeCheckpoint.siteEpsilons)
        #expect(piecesCheckpoint.history == wholeCheckpoint.history)
        #expect(piecesCheckpoint.round == wholeCheckpoint.round)

        let runID = configuration.runID
        let everyRound = (1...configuration.rounds).map { "\(runID)/round-\($0)" }
        switch configuration.privacy.unit {
        case .site:
            #expect(pieces.runLedger.charges.map(\.id) == everyRound)
        case .record:
            for ledger in pieces.siteLedgers {
                #expect(ledger.charges.map(\.id) == everyRound, "site \(ledger.site ?? "?")")
            }
            #expect(pieces.runLedger.charges.isEmpty)
        case .none:
            break
        }
    }
}

@Suite("Round engine: an interrupted run resumed from its checkpoint ends as an uninterrupted one")
struct RoundEngineResumeTests {
    private static func configuration(runID: String, rounds: Int, privacy: TaskPrivacy, sampling: SiteSampling = .init()) throws -> FederationConfiguration {
        FederationConfiguration(
            runID: runID, definition: try EngineFixtures.definition(EngineFixtures.logisticRegression),
            schema: try EngineFixtures.schema("breast_cancer_wdbc"), rounds: rounds, sampling: sampling,
            local: LocalWork(epochs: 1, batchSize: 32, learningRate: 0.1), privacy: privacy, evaluateEvery: 2, seed: 11)
    }

    @Test("FedAdam, record-unit DP with seeded noise: same weights bit for bit, same history, each site charged once per round")
    func fedAdamRecordUnit() async throws {
        let privacy = TaskPrivacy(unit: .record, exampleClipNorm: 1, deltaClipNorm: 10, noiseMultiplier: 1.1, noiseSeed: 5, delta: 1e-5)
        let scenario = ResumeScenario(
            configuration: try Self.configuration(runID: "resume-adam", rounds: 5, privacy: privacy),
            makeStrategy: { try FedAdam(tau: 1e-2) }, siteCount: 3)
        try await scenario.expectResumeIsExact(crashAfter: 2, resumeAfter: 2)
    }

    @Test("FedAvgM, site-unit DP sampling 2 of 4 sites: same weights, history and run ledger, each round charged once")
    func fedAvgMSiteUnit() async throws {
        let privacy = TaskPrivacy(unit: .site, deltaClipNorm: 0.5, noiseMultiplier: 0.8, noiseSeed: 9, delta: 1e-5)
        let scenario = ResumeScenario(
            configuration: try Self.configuration(
                runID: "resume-avgm", rounds: 6, privacy: privacy, sampling: SiteSampling(size: .count(2), minimum: 2)),
            makeStrategy: { try FedAvgM(serverLearningRate: 1, momentum: 0.9) }, siteCount: 4)
        try await scenario.expectResumeIsExact(crashAfter: 3, resumeAfter: 3)
    }

    @Test("site-unit DP with adaptive clipping: the resumed run's clip bounds, weights and ledger equal the uninterrupted run's")
    func adaptiveClipping() async throws {
        let clipping = try AdaptiveClipping(initialClipNorm: 2, targetQuantile: 0.5, learningRate: 0.3,
                                            countNoiseStandardDeviation: 0.8)
        var configuration = try Self.configuration(
            runID: "resume-adaptive", rounds: 6,
            privacy: TaskPrivacy(unit: .site, deltaClipNorm: 2, noiseMultiplier: 0.9, noiseSeed: 4, delta: 1e-5,
                                 unclippedCountNoise: 0.8))
        configuration.adaptiveClipping = clipping
        let scenario = ResumeScenario(configuration: configuration, makeStrategy: { try FedAvg() }, siteCount: 3)
        try await scenario.expectResumeIsExact(crashAfter: 4, resumeAfter: 4)
        let bounds = try await scenario.uninterrupted().history.map { try #require($0.clipNorm) }
        #expect(Set(bounds).count == 6, "the bound moves every round: \(bounds)")
    }

    @Test("record unit with σ calibrated after the preprocessing: the resumed run takes σ from its checkpoint")
    func calibratedRecordUnit() async throws {
        var configuration = try Self.configuration(
            runID: "resume-calibrated", rounds: 4,
            privacy: TaskPrivacy(unit: .record, exampleClipNorm: 1, deltaClipNorm: 10, noiseMultiplier: 0, noiseSeed: 6, delta: 1e-5))
        configuration.recordTargetEpsilon = 4
        let scenario = ResumeScenario(configuration: configuration, makeStrategy: { try FedAvg() }, siteCount: 3)
        try await scenario.expectResumeIsExact(crashAfter: 2, resumeAfter: 2)
        let sigma = try #require(try await scenario.uninterrupted().finalCheckpoint.noiseMultiplier)
        #expect(sigma > 0)
    }

    @Test("a crash after the sites trained a round but before its checkpoint: the round is replayed, and charged once")
    func crashInsideARound() async throws {
        let privacy = TaskPrivacy(unit: .record, exampleClipNorm: 1, deltaClipNorm: 10, noiseMultiplier: 1.0, noiseSeed: 2, delta: 1e-5)
        let scenario = ResumeScenario(
            configuration: try Self.configuration(runID: "resume-mid", rounds: 4, privacy: privacy),
            makeStrategy: { try FedAvg() }, siteCount: 2)
        // Round 3's checkpoint never reached the store: the run resumes after round 2.
        try await scenario.expectResumeIsExact(crashAfter: 3, resumeAfter: 2)
    }

    @Test("FedAvg without DP, resumed after round 1 and after the last round")
    func fedAvgWithoutPrivacy() async throws {
        let scenario = ResumeScenario(
            configuration: try Self.configuration(runID: "resume-plain", rounds: 3, privacy: TaskPrivacy()),
            makeStrategy: { try FedAvg() }, siteCount: 2)
        try await scenario.expectResumeIsExact(crashAfter: 1, resumeAfter: 1)
        try await scenario.expectResumeIsExact(crashAfter: 3, resumeAfter: 3)
    }

    @Test("a resumed run does not ask the sites for preprocessing aggregates again")
    func resumeSkipsPreprocessing() async throws {
        let configuration = try Self.configuration(runID: "resume-pre", rounds: 2, privacy: TaskPrivacy())
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 2)
        let sites = tables.enumerated().map { CountingSite(inner: InMemorySite(name: "s\($0.offset)", table: $0.element)) }
        let keeper = CheckpointKeeper(interruptAfter: 1)
        var first = RoundEngine(configuration: configuration, strategy: try FedAvg())
        await #expect(throws: CheckpointKeeper.Interrupted.self) {
            _ = try await first.run(sites: sites, checkpoint: { try keeper.save($0) })
        }
        #expect(sites.allSatisfy { $0.aggregateCalls.load(ordering: .relaxed) == 1 })
        var resumed = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let result = try await resumed.run(sites: sites, resumingFrom: try keeper.checkpoint(after: 1))
        #expect(result.history.map(\.round) == [1, 2])
        #expect(sites.allSatisfy { $0.aggregateCalls.load(ordering: .relaxed) == 1 })
    }

    @Test("a checkpoint of another run, model size or a round past the plan's is refused with a clear error")
    func mismatchedCheckpointIsRefused() async throws {
        let configuration = try Self.configuration(runID: "resume-check", rounds: 2, privacy: TaskPrivacy())
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 2)
        let sites = tables.enumerated().map { InMemorySite(name: "s\($0.offset)", table: $0.element) }
        let keeper = CheckpointKeeper()
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        _ = try await engine.run(sites: sites, checkpoint: { try keeper.save($0) })
        let good = try keeper.checkpoint(after: 1)

        func refusal(_ edit: (inout RunCheckpoint) -> Void, strategy: any FederatedStrategy) async -> String {
            var checkpoint = good
            edit(&checkpoint)
            var engine = RoundEngine(configuration: configuration, strategy: strategy)
            do {
                _ = try await engine.run(sites: sites, resumingFrom: checkpoint)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let fedAvg = try FedAvg()
        #expect(await refusal({ $0.runID = "other" }, strategy: fedAvg)
            == "checkpoint of run other after round 1 cannot resume run resume-check: the run ids differ")
        #expect(await refusal({ $0.global.removeLast() }, strategy: fedAvg)
            .contains("the global model has 30 parameters, the run's model 31"))
        #expect(await refusal({ $0.round = 3 }, strategy: fedAvg).contains("the run has 2 rounds, so the round must be in 0...2"))
        #expect(await refusal({ $0.history.removeAll() }, strategy: fedAvg).contains("its history holds rounds [], expected 1 through 1"))
        #expect(await refusal({ _ in }, strategy: try FedAvgM()).contains("cannot restore it into fedavgm"))
        #expect(await refusal({ _ in }, strategy: fedAvg) == "no error")
    }
}

/// Counts a site's preprocessing calls.
private final class CountingSite: SiteConnection {
    let inner: InMemorySite
    let aggregateCalls = Atomic<Int>(0)
    var name: String { inner.name }

    init(inner: InMemorySite) { self.inner = inner }

    func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates {
        aggregateCalls.add(1, ordering: .relaxed)
        return try await inner.aggregates(schema: schema, noise: noise)
    }

    func train(_ task: TrainingTask) async throws -> SiteUpdate { try await inner.train(task) }
    func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation { try await inner.evaluate(task) }
}
