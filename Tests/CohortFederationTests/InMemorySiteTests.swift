import CohortData
import CohortLearn
import CohortPrivacy
import Foundation
import Testing
@testable import CohortFederation

@Suite("In-memory site: a replayed round is not charged twice")
struct InMemorySiteTests {
    /// Round `round` of a record-unit DP task over the breast-cancer features, from `global`.
    private static func task(round: Int, global: [Float]? = nil, site: InMemorySite, schema: Schema) async throws -> TrainingTask {
        let statistics = try PreprocessingStatistics(schema: schema, aggregates: try await site.aggregates(schema: schema, noise: nil))
        let definition = try EngineFixtures.definition(EngineFixtures.logisticRegression)
        return TrainingTask(
            runID: "replay", round: round, definition: definition, loss: .binaryCrossEntropy,
            inputWidth: statistics.encodedFeatureCount, outputWidth: 1,
            global: global ?? [Float](repeating: 0, count: statistics.encodedFeatureCount + 1), preprocessing: statistics,
            local: LocalWork(epochs: 1, batchSize: 16, learningRate: 0.1),
            privacy: TaskPrivacy(unit: .record, exampleClipNorm: 1, deltaClipNorm: 5, noiseMultiplier: 1.1, noiseSeed: 3, delta: 1e-5),
            seed: 7)
    }

    @Test("a ledger charged twice under one id records the charge once; other parameters under that id are refused")
    func ledgerChargeIsIdempotent() throws {
        var ledger = PrivacyLedger(unit: .record, site: "a")
        let charge = try PrivacyCharge(id: "run-0001/round-1", label: "round 1", samplingRate: 0.05, noiseMultiplier: 1.1, steps: 20)
        #expect(try ledger.charge(charge))
        let epsilon = ledger.epsilon(delta: 1e-5).epsilon
        #expect(try ledger.charge(charge) == false)
        #expect(ledger.charges.count == 1)
        #expect(ledger.epsilon(delta: 1e-5).epsilon == epsilon)
        #expect(ledger.epsilon(afterCharging: charge, delta: 1e-5).epsilon == epsilon)
        let other = try PrivacyCharge(id: "run-0001/round-1", label: "round 1", samplingRate: 0.05, noiseMultiplier: 1.1, steps: 21)
        #expect(throws: PrivacyError.self) { try ledger.charge(other) }
        #expect(ledger.charges.count == 1)
    }

    @Test("the same task asked again gets the same update, and the site's ledger holds its charge once")
    func replayedTaskGetsTheSameUpdate() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let site = InMemorySite(name: "a", table: try EngineFixtures.iidSites("breast_cancer_wdbc", count: 2)[0])
        let task = try await Self.task(round: 1, site: site, schema: schema)
        let first = try await site.train(task)
        let again = try await site.train(task)
        #expect(again.delta.map(\.bitPattern) == first.delta.map(\.bitPattern))
        #expect(again.siteEpsilon == first.siteEpsilon)
        #expect(await site.ledger.charges.map(\.id) == ["replay/round-1"])

        // The next round is a new release, charged once more.
        let next = try await Self.task(round: 2, global: first.delta, site: site, schema: schema)
        let second = try await site.train(next)
        #expect(await site.ledger.charges.map(\.id) == ["replay/round-1", "replay/round-2"])
        #expect((second.siteEpsilon ?? 0) > (first.siteEpsilon ?? .infinity))
    }

    @Test("a round already charged, asked again from another global model, is refused rather than released uncounted")
    func chargedRoundFromAnotherModelIsRefused() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let site = InMemorySite(name: "a", table: try EngineFixtures.iidSites("breast_cancer_wdbc", count: 2)[0])
        let task = try await Self.task(round: 1, site: site, schema: schema)
        _ = try await site.train(task)
        let round2 = try await Self.task(round: 2, site: site, schema: schema)
        _ = try await site.train(round2)
        var other = task
        other.global[0] = 0.5
        let error = await #expect(throws: SiteError.self) { try await site.train(other) }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("already trained from another global model") == true)
        #expect(await site.ledger.charges.count == 2)
    }
}
