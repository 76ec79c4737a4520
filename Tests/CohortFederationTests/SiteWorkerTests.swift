import CohortData
import CohortLearn
import CohortPrivacy
import Foundation
import Synchronization
import Testing
@testable import CohortFederation

/// The site worker's task handling, without a network: the policy check and its audit lines,
/// the ledger saved across restarts, and replayed rounds.
@Suite("Site worker: policy, ledger and audit for each task")
struct SiteWorkerTests {
    /// A site holding hospital-a's partition, its state and audit log in a temporary folder.
    struct Fixture {
        let folder: URL
        let policy: SitePolicy
        let schema: Schema
        let definition: ModelDefinition

        init(minimumNoise: Double = 0.8, units: String = "[record]") throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-worker-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let data = EngineFixtures.packageRoot.appendingPathComponent("Examples/federation/data/hospital-a.csv").path
            policy = try SitePolicy.parse(yaml: """
                name: hospital-a
                dataset: {path: \(data), holdout: 0.2}
                accept: {models: [logistic-regression], strategies: [fedavg], units: \(units), seeded_noise: true}
                privacy: {minimum_noise_multiplier: \(minimumNoise), maximum_epsilon_per_run: 10, lifetime_epsilon: 20}
                audit_log: audit.jsonl
                """, baseDirectory: folder)
            schema = try EngineFixtures.schema("breast_cancer_wdbc")
            definition = try ModelDefinition.load("logistic-regression", modelsDirectory: EngineFixtures.packageRoot.appendingPathComponent("Models"))
        }

        var state: URL { folder.appendingPathComponent("state") }

        func context(rounds: Int = 3, claimedRounds: Int? = nil, sigma: Double = 1.5) throws -> SiteWorker.RunContext {
            let yaml = "name: t\nmodel: logistic-regression\nlabel: malignant\nrounds: \(rounds)\nsimulation: true\n"
                + "sites:\n  - {name: hospital-a}\n"
            return SiteWorker.RunContext(
                runID: "run-0001-0badcafe", planYAML: yaml, planHash: try Plan.parse(yaml: yaml).hash, definition: definition,
                schema: schema, rounds: claimedRounds ?? rounds, local: LocalWork(epochs: 1, batchSize: 16),
                privacy: TaskPrivacy(unit: .record, exampleClipNorm: 1, noiseMultiplier: sigma, noiseSeed: 3, delta: 1e-5),
                siteSamplingRate: 1)
        }

        func task(_ context: SiteWorker.RunContext, round: Int, statistics: PreprocessingStatistics) -> TrainingTask {
            let layout = Network.layout(definition: definition, inputWidth: statistics.encodedFeatureCount, outputWidth: 1)
            let count = layout.reduce(0) { $0 + $1.shape.reduce(1, *) }
            return TrainingTask(
                runID: context.runID, round: round, definition: definition, loss: .binaryCrossEntropy,
                inputWidth: statistics.encodedFeatureCount, outputWidth: 1, global: [Float](repeating: 0, count: count),
                preprocessing: statistics, local: context.local, privacy: context.privacy, seed: UInt64(round))
        }

        func auditEvents() throws -> [String] {
            try String(contentsOf: folder.appendingPathComponent("audit.jsonl"), encoding: .utf8).split(separator: "\n")
                .compactMap { (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["event"] as? String }
        }

        /// The head of the audit log as it stands (its line count and the SHA-256 of its last
        /// line, computed from the file), and its last event.
        func auditHead() throws -> (head: AuditHead, event: String?) {
            let lines = try auditLines(folder.appendingPathComponent("audit.jsonl"))
            let last = try #require(lines.last)
            return (AuditHead(events: lines.count, head: SHA256.hexDigest(of: last)), try AuditEntry(line: last).event.rawValue)
        }
    }

    @Test("a round is charged once; a replay gets the same update, from disk after a restart; only a lost or different update is retrained and charged again")
    func ledgerAcrossReplayAndRestart() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let context = try fixture.context()
        let statistics: PreprocessingStatistics
        let first: SiteUpdate
        do {
            let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
            let aggregates = try await worker.aggregates(context, taskID: "p")
            statistics = try PreprocessingStatistics(schema: fixture.schema, aggregates: aggregates)
            first = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1")
            let replay = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1b")
            #expect(replay.delta == first.delta)
            #expect(await worker.ledger.charges.map(\.id) == ["run-0001-0badcafe/round-1"])
        }
        #expect(try fixture.auditEvents().filter { $0 == "budget_spent" }.count == 1)
        #expect(try fixture.auditEvents().filter { $0 == "release_resent" }.count == 1)

        // A restarted site has its ledger and the update it kept: the round asked again gets
        // the same bytes, and nothing is charged.
        let kept = fixture.state.appendingPathComponent("sent/\(context.runID).update")
        let restarted = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        #expect(await restarted.ledger.charges.map(\.id) == ["run-0001-0badcafe/round-1"])
        let resent = try await restarted.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1c")
        #expect(resent.delta == first.delta && resent.records == first.records && resent.steps == first.steps)
        #expect(resent.trainingLoss == first.trainingLoss && resent.siteEpsilon == first.siteEpsilon)
        #expect(await restarted.ledger.charges.map(\.id) == ["run-0001-0badcafe/round-1"])
        #expect(try fixture.auditEvents().filter { $0 == "release_resent" }.count == 2)

        // The same round from another global model (an orchestrator whose state was wiped
        // reuses run ids) is another question: trained, and charged as a second release.
        var other = fixture.task(context, round: 1, statistics: statistics)
        other.global[0] += 0.5
        _ = try await restarted.train(other, context: context, taskID: "t1d")
        #expect(await restarted.ledger.charges.map(\.id) == ["run-0001-0badcafe/round-1", "run-0001-0badcafe/round-1/repeat-2"])
        #expect(try fixture.auditEvents().contains("kept_release_not_used"))

        // After another restart, a damaged kept file is named in the audit log and not sent;
        // the round is retrained and charged again.
        var bytes = try Data(contentsOf: kept)
        bytes[bytes.count - 40] ^= 0xff
        try bytes.write(to: kept)
        let again = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        _ = try await again.train(other, context: context, taskID: "t1e")
        #expect(await again.ledger.charges.map(\.id).last == "run-0001-0badcafe/round-1/repeat-3")
        let lines = try String(contentsOf: fixture.policy.auditLog.url, encoding: .utf8)
        #expect(lines.contains("damaged: the SHA-256 of its content is"))
        let saved = try JSONDecoder().decode(PrivacyLedger.self, from: Data(contentsOf: fixture.state.appendingPathComponent("ledger.json")))
        #expect(saved.charges.count == 3)
    }

    @Test("an update carries the audit head after its charge, a resent one after the resend, an evaluation after its line")
    func updatesCarryTheAuditHead() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let context = try fixture.context()
        let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        let statistics = try PreprocessingStatistics(schema: fixture.schema, aggregates: try await worker.aggregates(context, taskID: "p"))
        let log = fixture.folder.appendingPathComponent("audit.jsonl")
        let head = fixture.auditHead
        let update = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1")
        let afterCharge = try head()
        #expect(afterCharge.event == "budget_spent")
        #expect(update.auditHead == afterCharge.head)
        let resent = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1b")
        let afterResend = try head()
        #expect(afterResend.event == "release_resent" && afterResend.head.events == afterCharge.head.events + 2)  // task_received, release_resent
        #expect(resent.auditHead == afterResend.head)
        let evaluation = try #require(
            try await worker.evaluate(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "e1"))
        let afterEvaluation = try head()
        #expect(afterEvaluation.event == "evaluation_sent")
        #expect(evaluation.auditHead == afterEvaluation.head)
        // Each head anchors the log as it now stands.
        let anchors = [update.auditHead, resent.auditHead, evaluation.auditHead].enumerated().compactMap { index, head in
            head.map { hospitalAnchor($0, round: index + 1) }
        }
        let (chain, checks) = try AuditLog.verify(fileAt: log, anchors: anchors)
        #expect(chain.isIntact && checks.count == 3 && checks.allSatisfy(\.isMatch), "\(checks)")
    }

    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        private let seconds = Mutex(1_000.0)
        var read: @Sendable () -> Double { { [self] in seconds.withLock { $0 } } }
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
    }

    @Test("a run's state is released when it idles or ends; a released round's replay gets its kept update, or is refused without it, never charged twice")
    func releasingRuns() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let clock = ManualClock()
        let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state, clock: clock.read)
        let context = try fixture.context(rounds: 3)
        let statistics = try PreprocessingStatistics(schema: fixture.schema, aggregates: try await worker.aggregates(context, taskID: "p"))
        let first = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1")
        #expect(await worker.residentRuns == [context.runID])

        clock.advance(599)
        #expect(try await worker.releaseIdleRuns(idleFor: 600).isEmpty)
        #expect(await worker.residentRuns == [context.runID])
        clock.advance(1)
        #expect(try await worker.releaseIdleRuns(idleFor: 600) == [context.runID])
        #expect(await worker.residentRuns.isEmpty)

        // The orchestrator came back in round 1 and asks it again: the update kept on disk is
        // sent again, and nothing is charged.
        let replay = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1b")
        #expect(replay.delta == first.delta)
        #expect(await worker.ledger.charges.map(\.id) == ["\(context.runID)/round-1"])

        // Without the kept update (removed here), training again would be a second release:
        // refused, and not charged.
        clock.advance(600)
        #expect(try await worker.releaseIdleRuns(idleFor: 600) == [context.runID])
        try FileManager.default.removeItem(at: fixture.state.appendingPathComponent("sent/\(context.runID).update"))
        let refused = await #expect(throws: SiteError.self) {
            try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1c")
        }
        #expect(refused?.code == .refused)
        #expect(refused?.message.contains("round 1 of run \(context.runID) was answered already, its update let go when the run had no task for 600 s, and it is not kept") == true,
                "\(String(describing: refused))")
        #expect(await worker.ledger.charges.map(\.id) == ["\(context.runID)/round-1"])

        // The run goes on: round 2 starts its state afresh.
        _ = try await worker.train(fixture.task(context, round: 2, statistics: statistics), context: context, taskID: "t2")
        #expect(await worker.residentRuns == [context.runID])
        #expect(await worker.ledger.charges.map(\.id) == ["\(context.runID)/round-1", "\(context.runID)/round-2"])

        // The orchestrator says the run ended: everything goes, kept files too, and its tasks
        // are refused.
        #expect(FileManager.default.fileExists(atPath: fixture.state.appendingPathComponent("sent/\(context.runID).update").path))
        try await worker.endRun(context.runID, state: "completed")
        #expect(await worker.residentRuns.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.state.appendingPathComponent("sent").path).isEmpty)
        let late = await #expect(throws: SiteError.self) {
            try await worker.train(fixture.task(context, round: 2, statistics: statistics), context: context, taskID: "t2b")
        }
        #expect(late?.message.contains("run \(context.runID) has ended (the orchestrator said completed)") == true, "\(String(describing: late))")
        // The refusal carries the head after its own line.
        let afterLate = try fixture.auditHead()
        #expect(afterLate.event == "task_refused" && late?.auditHead == afterLate.head)
        await #expect(throws: SiteError.self) {
            try await worker.evaluate(fixture.task(context, round: 2, statistics: statistics), context: context, taskID: "e2")
        }
        #expect(await worker.residentRuns.isEmpty)
        #expect(await worker.ledger.charges.count == 2)
        let events = try fixture.auditEvents()
        #expect(events.filter { $0 == "run_released" }.count == 3)
        #expect(events.filter { $0 == "budget_spent" }.count == 2)
    }

    @Test("a task outside the policy is refused with every reason and the audit head after its task_refused line")
    func refusal() async throws {
        let fixture = try Fixture(minimumNoise: 2)
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        var heads = [AuditHead?]()
        do {
            _ = try await worker.aggregates(try fixture.context(sigma: 1.5), taskID: "p")
            Issue.record("a task below the minimum σ was accepted")
        } catch let error as SiteError {
            #expect(error.code == .refused && error.message.contains("noise multiplier 1.5 is below this site's minimum 2"), "\(error)")
            let after = try fixture.auditHead()
            #expect(after.event == "task_refused" && error.auditHead == after.head, "\(String(describing: error.auditHead))")
            heads.append(error.auditHead)
        }
        do {
            _ = try await worker.aggregates(try fixture.context(rounds: 3, claimedRounds: 2, sigma: 2.5), taskID: "q")
            Issue.record("a task claiming fewer rounds than its plan was accepted")
        } catch let error as SiteError {
            #expect(error.message.contains("the plan has 3 rounds"), "\(error)")
            let after = try fixture.auditHead()
            #expect(after.event == "task_refused" && error.auditHead == after.head, "\(String(describing: error.auditHead))")
            heads.append(error.auditHead)
        }
        #expect(try fixture.auditEvents().filter { $0 == "task_refused" }.count == 2)
        #expect(await worker.ledger.charges.isEmpty)
        // Each refusal's head anchors the log: the orchestrator keeps them as round 0's.
        let anchors = heads.compactMap { $0.map { hospitalAnchor($0, round: 0) } }
        let (chain, checks) = try AuditLog.verify(fileAt: fixture.folder.appendingPathComponent("audit.jsonl"), anchors: anchors)
        #expect(chain.isIntact && checks.count == 2 && checks.allSatisfy(\.isMatch), "\(checks)")
    }

    @Test("an evaluation of a run outside the policy is refused and logged; the run's own budget refusal is logged with its head")
    func evaluationAndBudgetRefusals() async throws {
        let fixture = try Fixture(minimumNoise: 2)
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        // σ 1.5 is below this site's minimum 2: it scores none of the run's models either.
        let weak = try fixture.context(sigma: 1.5)
        let statistics = try PreprocessingStatistics(
            schema: fixture.schema, aggregates: try await worker.aggregates(try fixture.context(sigma: 2.5), taskID: "p"))
        let evaluation = await #expect(throws: SiteError.self) {
            try await worker.evaluate(fixture.task(weak, round: 1, statistics: statistics), context: weak, taskID: "e1")
        }
        #expect(evaluation?.code == .refused && evaluation?.message.contains("below this site's minimum 2") == true, "\(String(describing: evaluation))")
        var after = try fixture.auditHead()
        #expect(after.event == "task_refused" && evaluation?.auditHead == after.head)
        #expect(try !fixture.auditEvents().contains("evaluation_sent"))

        // Within the policy, but the plan's own budget (budget_epsilon, checked by the run's
        // site as it trains) is too small for one round: refused, and logged with its head.
        var tight = try fixture.context(sigma: 2.5)
        tight.privacy.siteBudgetEpsilon = 0.01
        let budget = await #expect(throws: SiteError.self) {
            try await worker.train(fixture.task(tight, round: 1, statistics: statistics), context: tight, taskID: "t1")
        }
        #expect(budget?.code == .budgetExhausted, "\(String(describing: budget))")
        after = try fixture.auditHead()
        #expect(after.event == "task_refused" && budget?.auditHead == after.head)
        #expect(await worker.ledger.charges.isEmpty)
    }

    @Test("site unit: the site charges each round it answers at q = 1 (the plain Gaussian), whatever q the orchestrator claims")
    func siteUnitChargesWithoutAmplification() async throws {
        let fixture = try Fixture(units: "[site]")
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        var context = try fixture.context(rounds: 3, sigma: 1.2)
        context.privacy = TaskPrivacy(unit: .site, deltaClipNorm: 1, noiseMultiplier: 1.2, noiseSeed: 3, delta: 1e-5)
        context.siteSamplingRate = 0.1  // the orchestrator's claim
        let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        let statistics = try PreprocessingStatistics(
            schema: fixture.schema, aggregates: try await worker.aggregates(context, taskID: "p"))
        _ = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1")
        let charges = await worker.ledger.charges
        #expect(charges.count == 1 && charges[0].mechanism.samplingRate == 1 && charges[0].steps == 1)
        let gaussian = RDPAccountant().epsilon(of: try SubsampledGaussian.gaussian(noiseMultiplier: 1.2), steps: 1, delta: 1e-5)
        #expect(abs(await worker.ledger.epsilon(delta: 1e-5).epsilon - gaussian.epsilon) < 1e-9)
        let audit = try String(contentsOf: fixture.folder.appendingPathComponent("audit.jsonl"), encoding: .utf8)
        #expect(audit.contains("\"claimed_sampling_rate\":0.1"))
    }

    @Test("a target-ε plan: before σ is known the site projects its own need; a σ that would pass the target here is refused")
    func targetEpsilonPlan() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        var context = try fixture.context(rounds: 3, sigma: 0)
        context.planYAML += "privacy: {unit: record, clip: 1, target_epsilon: 2}\n"
        context.planHash = try Plan.parse(yaml: context.planYAML).hash
        let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        // The preprocessing task carries σ = 0: admitted at the σ this site's own rows need.
        let statistics = try PreprocessingStatistics(
            schema: fixture.schema, aggregates: try await worker.aggregates(context, taskID: "p"))
        // A training task whose σ is too small for this site (calibrated without its rows).
        context.privacy.noiseMultiplier = 0.9
        do {
            _ = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1")
            Issue.record("a σ spending more than the plan's target was accepted")
        } catch let error as SiteError {
            #expect(error.message.contains("above the plan's target_epsilon 2"), "\(error)")
        }
        #expect(await worker.ledger.charges.isEmpty)
    }

    @Test("site unit with adaptive clipping: the site sends its noised bit and charges the pair's z, computed from its own noise")
    func adaptiveClippingChargesThePair() async throws {
        let fixture = try Fixture(units: "[site]")
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        var context = try fixture.context(rounds: 3, sigma: 1.2)
        // z_Δ = 1.5 and σ_b = 1 make z = (1.5⁻² + 2⁻²)^(−½) = 1.2.
        context.privacy = TaskPrivacy(unit: .site, deltaClipNorm: 1, noiseMultiplier: 1.5, noiseSeed: 3, delta: 1e-5,
                                      unclippedCountNoise: 1)
        let worker = try SiteWorker(policy: fixture.policy, stateDirectory: fixture.state)
        let statistics = try PreprocessingStatistics(
            schema: fixture.schema, aggregates: try await worker.aggregates(context, taskID: "p"))
        let update = try await worker.train(fixture.task(context, round: 1, statistics: statistics), context: context, taskID: "t1")
        #expect(update.unclippedSignal?.isFinite == true)
        let charges = await worker.ledger.charges
        #expect(charges.count == 1 && abs(charges[0].mechanism.noiseMultiplier - 1.2) < 1e-12)
    }
}
