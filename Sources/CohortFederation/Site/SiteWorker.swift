import CohortData
import CohortLearn
import CohortPrivacy
import Foundation

/// What `cohort site` does with each task, whatever carries it: checks the run against the
/// site's policy, trains, clips and noises inside this process, charges and saves the site's
/// lifetime ledger, and writes every decision to the audit log (ARCHITECTURE.md, "The site
/// decides").
///
/// The rows stay in a per-run `InMemorySite`, the same code `cohort simulate` runs, so a
/// real federation and a simulation with the same seeds compute the same deltas.
///
/// What a site releases for a run (its latest update, its noised preprocessing aggregates)
/// is kept on disk (`KeptReleases`, `STATE/sent/`) before it leaves: the same question asked
/// again, after either side restarted, gets the same answer, and nothing new is released or
/// charged. A run's state in memory (its validated and encoded rows, its noise) is released
/// when the run is over: when the orchestrator says it ended (`endRun(_:state:)`, which also
/// removes the kept files), or when no task of it arrived for a while
/// (`releaseIdleRuns(idleFor:)`; the orchestrator may have gone away for good). A task of an
/// ended run is refused. Later rounds of an idle run start its state afresh.
///
/// State survives a restart: the ledger is saved (atomically, and synced) to
/// `STATE/ledger.json` after every charge, before anything leaves; the audit log is
/// append-only with a hash chain.
public actor SiteWorker {
    /// The run a task belongs to, as the orchestrator describes it.
    public struct RunContext: Sendable {
        public var runID: String
        /// The plan as submitted, and the hash the orchestrator claims for it.
        public var planYAML: String
        public var planHash: String
        public var definition: ModelDefinition
        public var schema: Schema
        /// The rounds the run has in all.
        public var rounds: Int
        public var local: LocalWork
        public var privacy: TaskPrivacy
        /// Site unit: the probability that this site is sampled in a round, as the orchestrator
        /// claims it. Recorded, but the site charges its own ledger at q = 1 (see `train`).
        public var siteSamplingRate: Double

        public init(runID: String, planYAML: String, planHash: String, definition: ModelDefinition, schema: Schema,
                    rounds: Int, local: LocalWork, privacy: TaskPrivacy, siteSamplingRate: Double) {
            self.runID = runID
            self.planYAML = planYAML
            self.planHash = planHash
            self.definition = definition
            self.schema = schema
            self.rounds = rounds
            self.local = local
            self.privacy = privacy
            self.siteSamplingRate = siteSamplingRate
        }
    }

    public nonisolated let policy: SitePolicy
    public nonisolated var name: String { policy.name }
    private let table: CSVTable
    private let siteSchema: Schema?
    private let audit: AuditLog
    private let ledgerURL: URL
    /// Every charge this site has paid, across runs, restored from `ledger.json`.
    public private(set) var ledger: PrivacyLedger
    /// The site's rows, one `InMemorySite` per run (each with that run's ledger and noise).
    private var runSites: [String: InMemorySite] = [:]
    /// The latest update and the noised aggregates released per run, on disk: that round
    /// asked again (either side restarted in it) gets the same answer. Earlier rounds are never
    /// replayed: a resumed run starts after its last completed round.
    private let kept: KeptReleases
    /// The round of the latest update kept per run since this process started.
    private var keptRounds: [String: Int] = [:]
    /// When each run with state here last had a task (monotonic seconds).
    private var lastTask: [String: Double] = [:]
    /// Runs the orchestrator said have ended, with how: their tasks are refused.
    private var endedRuns: [String: String] = [:]
    /// Runs released for want of tasks, with the round of the update kept for them and how
    /// long they had been idle: a replay of that round without its kept update is refused.
    private var idleReleases: [String: (round: Int?, idleSeconds: Double)] = [:]
    /// The clock for idleness (tests pass one they move).
    private let clock: @Sendable () -> Double

    /// Loads the site's data and state. Throws when the data, the schema, the ledger or the
    /// audit log cannot be read: a site never starts on state it cannot trust.
    ///
    /// - Parameter clock: monotonic seconds, for how long a run has been idle.
    public init(policy: SitePolicy, stateDirectory: URL, clock: @escaping @Sendable () -> Double = SiteWorker.monotonicSeconds) throws {
        self.policy = policy
        self.clock = clock
        table = try CSVTable(contentsOf: policy.dataset.path.url)
        siteSchema = try policy.dataset.schema.map { try Schema(contentsOf: $0.url) }
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        ledgerURL = stateDirectory.appendingPathComponent("ledger.json")
        do {
            kept = try KeptReleases(directory: stateDirectory.appendingPathComponent("sent"))
        } catch {
            throw SiteError(.data, site: policy.name, "cannot create \(stateDirectory.appendingPathComponent("sent").path): \(error)")
        }
        if FileManager.default.fileExists(atPath: ledgerURL.path) {
            do {
                ledger = try JSONDecoder().decode(PrivacyLedger.self, from: Data(contentsOf: ledgerURL))
            } catch {
                throw SiteError(.data, site: policy.name, "\(ledgerURL.path) is not a readable privacy ledger: \(error)")
            }
        } else {
            ledger = PrivacyLedger(unit: .record, site: policy.name)
        }
        let auditURL = policy.auditLog.url
        try FileManager.default.createDirectory(at: auditURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        audit = try AuditLog(fileAt: auditURL)
    }

    /// Writes `site_started` with what the site accepts and its ledger so far.
    public func start() async throws {
        _ = try await audit.append(.siteStarted, details: [
            "site": .string(name), "rows": .integer(table.rowCount),
            "lifetime_epsilon_spent": .number(ledger.epsilon(delta: policy.privacy.delta).epsilon),
            "delta": .number(policy.privacy.delta), "charges": .integer(ledger.charges.count),
        ])
    }

    // MARK: Tasks

    /// The sufficient statistics of the training rows for the shared preprocessing, after
    /// the policy check.
    ///
    /// When the run's plan says `privacy.noise_preprocessing: true` (record unit) they are the
    /// Gaussian mechanism's release with σ_pre = the plan's `preprocessing_noise_multiplier`,
    /// else the run's σ; its charge, one Gaussian step at q = 1 under "RUN/preprocessing", is
    /// saved to `ledger.json` and the audit log, and the release kept on disk, before the
    /// aggregates are returned. The release asked again (even after a restart of either side)
    /// is the kept one; only when it is lost is a new release made, charged again under
    /// "RUN/preprocessing/repeat-N".
    public func aggregates(_ context: RunContext, taskID: String) async throws -> FeatureAggregates {
        try await received(taskID, kind: "preprocessing", context: context, round: 0)
        try await refuseIfReleased(context.runID, round: 0, taskID: taskID)
        let (site, noise) = try await admitRun(context, taskID: taskID, round: 0)
        guard let noise else { return try await site.aggregates(schema: context.schema, noise: nil) }
        let key = PreprocessingNoise.chargeID(runID: context.runID)
        if ledger.contains(chargeID: key) {
            let lookup = kept.aggregates(runID: context.runID, planHash: context.planHash)
            if case .kept(let aggregates) = lookup {
                try await resent(taskID: taskID, runID: context.runID, round: 0, what: "preprocessing aggregates")
                return aggregates
            }
            try await keptNotUsed(lookup, taskID: taskID, runID: context.runID, round: 0)
            if let released = idleReleases[context.runID] {
                // The release was made, then let go with the idle run: making another would let
                // whoever asks average the two. After a restart a repeat is charged (below).
                try await refuse(context.runID, round: 0, taskID: taskID, String(
                    format: "the preprocessing release of run %@ was made and let go when the run had no task for %.0f s, "
                        + "and it is not kept; a second noised release would cost privacy again", context.runID, released.idleSeconds))
            }
        }
        let chargeID = try await repeatChargeID(key, context: context, taskID: taskID, round: 0)
        let aggregates = try await site.aggregates(schema: context.schema, noise: noise, chargeID: chargeID)
        for charge in await site.ledger.charges where !ledger.contains(chargeID: charge.id) {
            try await record(charge, taskID: taskID)
        }
        do {
            try kept.keep(aggregates, runID: context.runID, planHash: context.planHash)
        } catch {
            try await notKept(error, taskID: taskID, runID: context.runID, round: 0)
        }
        return aggregates
    }

    /// Trains from the task's global model and returns the clipped, noised delta, with the audit
    /// log's head after the lines that admitted and charged it (or that resent it).
    public func train(_ task: TrainingTask, context: RunContext, taskID: String) async throws -> SiteUpdate {
        try await received(taskID, kind: "training", context: context, round: task.round)
        try await refuseIfReleased(context.runID, round: nil, taskID: taskID)
        let key = "\(context.runID)/round-\(task.round)"
        let globalSHA256 = KeptReleases.digest(ofGlobal: task.global)
        if ledger.contains(chargeID: key) {
            let lookup = kept.update(runID: context.runID, planHash: context.planHash, round: task.round, globalSHA256: globalSHA256)
            if case .kept(var update) = lookup {
                lastTask[context.runID] = clock()
                try await resent(taskID: taskID, runID: context.runID, round: task.round, what: "update")
                update.auditHead = await audit.currentHead
                return update
            }
            try await keptNotUsed(lookup, taskID: taskID, runID: context.runID, round: task.round)
        }
        try await refuseIfReleased(context.runID, round: task.round, taskID: taskID)
        let site = try await admit(context, taskID: taskID, round: task.round)
        // A round already charged here but whose update is lost (its kept file missing or
        // unreadable): training it again is a second release, charged under its own id.
        let chargeID = try await repeatChargeID(key, context: context, taskID: taskID, round: task.round)
        var update = try await site.train(task, chargeID: chargeID)
        switch task.privacy.unit {
        case .record:
            for charge in await site.ledger.charges where !ledger.contains(chargeID: charge.id) {
                try await record(charge, taskID: taskID)
            }
        case .site:
            // DP-FedAvg (ARCHITECTURE.md, privacy model): the delta, clipped to C, left with
            // noise of std σC. The site charges each round it answers as one step of the plain
            // Gaussian mechanism, q = 1 (RDP α/(2σ²), Mironov, "Rényi Differential Privacy",
            // CSF 2017, Proposition 7): the orchestrator knows which sites it sampled, so the
            // amplification of q = sites per round / sites does not hold against it, and that
            // q is the orchestrator's claim, which the site cannot check. The run's own ledger
            // (at the orchestrator) still reports the amplified ε for observers of the model.
            // With adaptive clipping the noised clipping bit goes too: the pair is charged
            // as one Gaussian mechanism of z = (z_Δ⁻² + (2σ_b)⁻²)^(−1/2) (Andrew et al. 2021,
            // Section 3), computed here from the noise this site itself applies.
            try await record(PrivacyCharge(
                id: chargeID, label: "round \(task.round) (site unit)", samplingRate: 1,
                noiseMultiplier: task.privacy.accountedNoiseMultiplier, steps: 1), taskID: taskID)
        case .none:
            break
        }
        // Kept for a replay (in place of the previous round's), unless the run ended while
        // this round trained (the actor was free during the await): nothing would remove it.
        if endedRuns[context.runID] == nil {
            do {
                try kept.keep(update, runID: context.runID, planHash: context.planHash, round: task.round, globalSHA256: globalSHA256)
                keptRounds[context.runID] = task.round
            } catch {
                try await notKept(error, taskID: taskID, runID: context.runID, round: task.round)
            }
        }
        update.auditHead = await audit.currentHead
        return update
    }

    /// Logs that a kept release is sent again (`release_resent`).
    private func resent(taskID: String, runID: String, round: Int, what: String) async throws {
        _ = try await audit.append("release_resent", details: [
            "task": .string(taskID), "run": .string(runID), "round": .integer(round), "release": .string(what),
            "reason": .string("asked again; the \(what) already released is sent again, nothing new is released or charged"),
        ])
    }

    /// Logs why a release kept for this run does not answer the task (`kept_release_not_used`).
    private func keptNotUsed<Value>(_ lookup: KeptReleases.Lookup<Value>, taskID: String, runID: String, round: Int) async throws {
        let reason: String
        switch lookup {
        case .none, .kept: return
        case .different(let why): reason = why
        case .unreadable(let why): reason = why
        }
        _ = try await audit.append("kept_release_not_used", details: [
            "task": .string(taskID), "run": .string(runID), "round": .integer(round), "reason": .string(reason),
        ])
    }

    /// Logs that a release could not be kept (`release_not_kept`): it still leaves, since it is
    /// charged, but asked again it would be released (and charged) a second time.
    private func notKept(_ error: any Error, taskID: String, runID: String, round: Int) async throws {
        _ = try await audit.append("release_not_kept", details: [
            "task": .string(taskID), "run": .string(runID), "round": .integer(round), "error": .string("\(error)"),
        ])
    }

    /// Records that an update left (or failed to): bytes and norm, for the audit log.
    public func sent(_ update: SiteUpdate, taskID: String, runID: String, round: Int, bytes: Int, accepted: Bool, reason: String?) async throws {
        var details: [String: AuditValue] = [
            "task": .string(taskID), "run": .string(runID), "round": .integer(round), "bytes": .integer(bytes),
            "l2_norm": .number(l2Norm(update.delta)), "records": .integer(update.records), "accepted": .bool(accepted),
        ]
        if let reason { details["rejection_reason"] = .string(reason) }
        _ = try await audit.append(.updateSent, details: details)
    }

    /// Scores the task's global model on the holdout, with the audit log's head after the line
    /// that records it; nil when the site's k suppresses it.
    public func evaluate(_ task: TrainingTask, context: RunContext, taskID: String) async throws -> SiteEvaluation? {
        try await received(taskID, kind: "evaluation", context: context, round: task.round)
        try await refuseIfReleased(context.runID, round: nil, taskID: taskID)
        let site = runSite(context.runID)
        try await site.prepare(schema: try checkedSchema(context.schema))
        let holdout = try await site.holdoutRecordCount(schema: context.schema)
        let decision = policy.checkEvaluation(heldOutRecords: holdout)
        guard decision.isAccepted else {
            _ = try await audit.append(.evaluationSuppressed, details: [
                "task": .string(taskID), "run": .string(context.runID), "round": .integer(task.round),
                "reasons": .list(decision.reasons.map(AuditValue.string)),
            ])
            return nil
        }
        var evaluation = try await site.evaluate(task)
        _ = try await audit.append(.evaluationSent, details: [
            "task": .string(taskID), "run": .string(context.runID), "round": .integer(task.round),
            "records": .integer(evaluation.records),
        ])
        evaluation.auditHead = await audit.currentHead
        return evaluation
    }

    // MARK: Releasing runs

    /// The runs whose state this site holds in memory (rows, noise).
    public var residentRuns: [String] { runSites.keys.sorted() }

    /// The orchestrator says `runID` ended (`state`: completed, cancelled, failed): its state
    /// is released, and its tasks are refused from now on. Logged as `run_released`.
    public func endRun(_ runID: String, state: String) async throws {
        guard endedRuns[runID] == nil else { return }
        endedRuns[runID] = state
        let held = [release(runID), kept.remove(runID: runID)].contains(true)
        keptRounds[runID] = nil
        idleReleases[runID] = nil
        _ = try await audit.append(.runReleased, details: [
            "run": .string(runID), "reason": .string("the orchestrator says the run ended (\(state))"), "held_state": .bool(held),
        ])
    }

    /// Releases the state of every run without a task for `seconds` or more, and returns their
    /// ids. A replay of the round whose update is released with a run is refused; the run's
    /// later rounds start its state afresh. Each release is logged as `run_released`.
    @discardableResult
    public func releaseIdleRuns(idleFor seconds: Double) async throws -> [String] {
        let now = clock()
        var released = [String]()
        for (runID, last) in lastTask.sorted(by: { $0.key < $1.key }) where now - last >= seconds {
            let round = keptRounds[runID]
            release(runID)
            idleReleases[runID] = (round, now - last)
            released.append(runID)
            _ = try await audit.append(.runReleased, details: [
                "run": .string(runID),
                "reason": .string(String(format: "no task for %.0f s", now - last)),
                "kept_update_of_round": round.map { .integer($0) } ?? .null,
            ])
        }
        return released
    }

    /// Drops `runID`'s rows and noise; whether there were any.
    @discardableResult
    private func release(_ runID: String) -> Bool {
        lastTask[runID] = nil
        return runSites.removeValue(forKey: runID) != nil
    }

    /// Refuses a task of an ended run, or the replay of `round` when its update was released
    /// with an idle run and is not kept (nil: checked only for the run's end).
    private func refuseIfReleased(_ runID: String, round: Int?, taskID: String) async throws {
        var reason: String?
        if let state = endedRuns[runID] {
            reason = "run \(runID) has ended (the orchestrator said \(state)); this site released its state for it"
        } else if let round, let released = idleReleases[runID], released.round == round, round > 0 {
            reason = String(format: "round %d of run %@ was answered already, its update let go when the run had no task for %.0f s, "
                                + "and it is not kept; answering again would release the round a second time", round, runID, released.idleSeconds)
        }
        guard let reason else { return }
        try await refuse(runID, round: round, taskID: taskID, reason)
    }

    /// Logs the refusal of a task and throws it.
    private func refuse(_ runID: String, round: Int?, taskID: String, _ reason: String) async throws -> Never {
        _ = try await audit.append(.taskRefused, details: [
            "task": .string(taskID), "run": .string(runID), "round": round.map { .integer($0) } ?? .null,
            "reasons": .list([.string(reason)]),
        ])
        throw SiteError(.refused, site: name, reason)
    }

    /// The id to charge a release of `key` under: `key` itself, or `key/repeat-N` when the
    /// ledger holds it already (the first release was lost with a restart, so this is a second
    /// one). A repeat is refused when, charged like the first, it would take the lifetime
    /// ledger past the policy's `lifetime_epsilon` or this run's own charges past its
    /// `maximum_epsilon_per_run`: the policy's projection at admission counts the planned
    /// run once, not its repeats.
    private func repeatChargeID(_ key: String, context: RunContext, taskID: String, round: Int) async throws -> String {
        guard let first = ledger.charges.first(where: { $0.id == key }) else { return key }
        var repeatCount = 2
        while ledger.contains(chargeID: "\(key)/repeat-\(repeatCount)") { repeatCount += 1 }
        let chargeID = "\(key)/repeat-\(repeatCount)"
        let repeated = try PrivacyCharge(id: chargeID, label: first.label + " (repeat)", mechanism: first.mechanism, steps: first.steps)
        var run = PrivacyLedger(unit: .record, site: name)
        for charge in ledger.charges where charge.id.hasPrefix(context.runID + "/") { try run.charge(charge) }
        let delta = policy.privacy.delta
        let lifetime = ledger.epsilon(afterCharging: repeated, delta: delta).epsilon
        let perRun = run.epsilon(afterCharging: repeated, delta: delta).epsilon
        if lifetime > policy.privacy.lifetimeEpsilon || perRun > policy.privacy.maximumEpsilonPerRun {
            try await refuse(context.runID, round: round, taskID: taskID, String(
                format: "releasing %@ again would bring this run's ε to %.3f (policy maximum %g) and the lifetime ε to %.3f "
                    + "(policy %g), δ = %g", key, perRun, policy.privacy.maximumEpsilonPerRun, lifetime,
                policy.privacy.lifetimeEpsilon, delta))
        }
        return chargeID
    }

    /// Seconds on a monotonic clock (`CLOCK_MONOTONIC`), the default for idleness.
    public static let monotonicSeconds: @Sendable () -> Double = {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    // MARK: Policy

    /// Checks the run against the policy for a task of `round` (0: preprocessing); refuses
    /// with every reason, logged, or returns the run's site.
    private func admit(_ context: RunContext, taskID: String, round: Int) async throws -> InMemorySite {
        try await admitRun(context, taskID: taskID, round: round).site
    }

    /// As `admit`, also returning how the plan asks for the preprocessing release: nil for
    /// exact aggregates, or the noise (σ_pre) read from the plan itself.
    private func admitRun(_ context: RunContext, taskID: String, round: Int) async throws
        -> (site: InMemorySite, preprocessingNoise: PreprocessingNoise?) {
        var reasons = [String]()
        var preprocessingNoise: PreprocessingNoise?
        var planName = context.runID, model = context.definition.name, strategy = "?"
        var targetEpsilon: Double?
        do {
            let plan = try Plan.parse(yaml: context.planYAML, source: "the run's plan")
            planName = plan.name
            if case .targetEpsilon(let target)? = plan.privacy.calibration { targetEpsilon = target }
            model = plan.model.description
            strategy = plan.strategy.kind.rawValue
            if plan.privacy.noisePreprocessing {
                if context.privacy.unit == .record {
                    preprocessingNoise = PreprocessingNoise(
                        runID: context.runID, noiseMultiplier: plan.privacy.preprocessingNoiseMultiplier ?? context.privacy.noiseMultiplier,
                        noiseSeed: context.privacy.noiseSeed, delta: context.privacy.delta,
                        siteBudgetEpsilon: context.privacy.siteBudgetEpsilon)
                } else {
                    reasons.append("the plan asks for noised preprocessing statistics, which only the record unit supports")
                }
            }
            if plan.hash != context.planHash.lowercased() {
                reasons.append("the plan's hash is \(plan.hash.prefix(12))…, not the \(context.planHash.prefix(12))… the task claims")
            }
            // The projection below counts the task's rounds: they must be the plan's, and a
            // task may not come from past them.
            if plan.rounds != context.rounds || round > context.rounds {
                reasons.append("the task says round \(round) of \(context.rounds), the plan has \(plan.rounds) rounds")
            }
        } catch {
            reasons.append("the run's plan does not parse: \(error)")
        }
        let site = runSite(context.runID)
        var records = 0
        do {
            try await site.prepare(schema: try checkedSchema(context.schema))
            records = try await site.trainingRecordCount(schema: context.schema)
        } catch {
            reasons.append("this site's data does not fit the plan's schema: \(error)")
        }
        if reasons.isEmpty {
            var targetReasons = [String]()
            let privacy: TaskRequest.Privacy
            switch context.privacy.unit {
            case .none:
                privacy = .none
            case .record:
                // The whole run, projected: checked against the ledger without this run, so
                // the rounds already paid are not counted twice.
                let steps = TaskRequest.localSteps(rounds: context.rounds, work: context.local, trainingRecords: records)
                var sigma = context.privacy.noiseMultiplier
                if sigma == 0, round == 0, let targetEpsilon, records > 0 {
                    // A target-ε plan before its σ is known: the orchestrator calibrates σ from
                    // every site's rows after this preprocessing, as the largest σ any site
                    // needs, so at least this site's own need: the run projected at that σ
                    // spends at least what it will (and a minimum-σ rule is checked against a
                    // σ no larger than the final one). Each training task carries the final σ
                    // and is checked again.
                    do {
                        sigma = try RoundEngine.recordNoiseMultiplier(
                            target: targetEpsilon, delta: context.privacy.delta, trainingRows: records, local: context.local,
                            rounds: context.rounds)
                    } catch {
                        targetReasons.append("this site's \(records) training rows cannot meet the plan's target_epsilon "
                                             + "\(targetEpsilon): \(error)")
                    }
                }
                privacy = .record(noiseMultiplier: sigma, batchSize: context.local.batchSize, steps: steps)
                if sigma > 0, let targetEpsilon, records > 0 {
                    // The plan promises its target to every site: a σ calibrated without this
                    // site's rows (it missed the preprocessing) must not spend more here.
                    let mechanism = try? SubsampledGaussian(
                        samplingRate: Double(min(context.local.batchSize, records)) / Double(records), noiseMultiplier: sigma)
                    let projected = mechanism.map {
                        RDPAccountant().epsilon(of: $0, steps: max(steps, 1), delta: context.privacy.delta).epsilon
                    } ?? .infinity
                    if projected > targetEpsilon * (1 + 1e-6) {
                        targetReasons.append(String(format: "σ = %g would spend ε = %.3f over the run on this site's %d training rows, "
                                                  + "above the plan's target_epsilon %g", sigma, projected, records, targetEpsilon))
                    }
                }
            case .site:
                // Projected as it is charged: q = 1 for every round (see `train`).
                privacy = .site(noiseMultiplier: context.privacy.accountedNoiseMultiplier, samplingRate: 1, rounds: context.rounds)
            }
            let request = TaskRequest(
                runID: context.runID, planHash: context.planHash, planName: planName, model: model, strategy: strategy,
                privacy: privacy, trainingRecords: records, ledger: try ledger(excludingRun: context.runID),
                seededNoise: context.privacy.noiseSeed != nil,
                preprocessingNoiseMultiplier: preprocessingNoise?.noiseMultiplier)
            reasons = policy.check(request).reasons + targetReasons
        }
        guard reasons.isEmpty else {
            _ = try await audit.append(.taskRefused, details: [
                "task": .string(taskID), "run": .string(context.runID), "round": .integer(round),
                "reasons": .list(reasons.map(AuditValue.string)),
            ])
            throw SiteError(.refused, site: name, reasons.joined(separator: "; "))
        }
        _ = try await audit.append(.taskAccepted, details: [
            "task": .string(taskID), "run": .string(context.runID), "round": .integer(round),
        ])
        return (site, preprocessingNoise)
    }

    /// The plan's schema, refused when the site declares its own and the two differ.
    private func checkedSchema(_ schema: Schema) throws -> Schema {
        if let siteSchema, siteSchema != schema {
            throw SiteError(.refused, site: name, "the plan's schema differs from this site's (\(policy.dataset.schema?.path ?? ""))")
        }
        return schema
    }

    private func runSite(_ runID: String) -> InMemorySite {
        lastTask[runID] = clock()
        if let site = runSites[runID] { return site }
        var runLedger = PrivacyLedger(unit: .record, site: name)
        for charge in ledger.charges where charge.id.hasPrefix(runID + "/") { _ = try? runLedger.charge(charge) }
        let site = InMemorySite(name: name, table: table, holdoutFraction: policy.dataset.holdout,
                                seed: policy.dataset.splitSeed, ledger: runLedger)
        runSites[runID] = site
        return site
    }

    /// The lifetime ledger without `runID`'s charges.
    private func ledger(excludingRun runID: String) throws -> PrivacyLedger {
        var other = PrivacyLedger(unit: .record, site: name)
        for charge in ledger.charges where !charge.id.hasPrefix(runID + "/") { try other.charge(charge) }
        return other
    }

    // MARK: Ledger and audit

    private func record(_ charge: PrivacyCharge, taskID: String) async throws {
        guard try ledger.charge(charge) else { return }
        let data = try JSONEncoder().encode(ledger)
        // Synced (file and folder) before the update can leave: after a crash the ledger
        // holds every charge whose release may have gone out.
        try StoreFiles.writeDurably(data, to: ledgerURL)
        _ = try await audit.append(.budgetSpent, details: [
            "task": .string(taskID), "charge": .string(charge.id), "sampling_rate": .number(charge.mechanism.samplingRate),
            "noise_multiplier": .number(charge.mechanism.noiseMultiplier), "steps": .integer(charge.steps),
            "lifetime_epsilon": .number(ledger.epsilon(delta: policy.privacy.delta).epsilon),
            "delta": .number(policy.privacy.delta),
        ])
    }

    private func received(_ taskID: String, kind: String, context: RunContext, round: Int) async throws {
        var details: [String: AuditValue] = [
            "task": .string(taskID), "kind": .string(kind), "run": .string(context.runID), "round": .integer(round),
            "plan_hash": .string(context.planHash),
        ]
        if context.privacy.unit == .site { details["claimed_sampling_rate"] = .number(context.siteSamplingRate) }
        _ = try await audit.append(.taskReceived, details: details)
    }
}
