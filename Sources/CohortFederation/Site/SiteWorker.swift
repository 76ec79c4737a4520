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
    let table: CSVTable
    let siteSchema: Schema?
    let audit: AuditLog
    let ledgerURL: URL
    /// Every charge this site has paid, across runs, restored from `ledger.json`.
    public private(set) var ledger: PrivacyLedger
    /// The site's rows, one `InMemorySite` per run (each with that run's ledger and noise).
    var runSites: [String: InMemorySite] = [:]
    /// The latest update and the noised aggregates released per run, on disk: that round
    /// asked again (either side restarted in it) gets the same answer. Earlier rounds are never
    /// replayed: a resumed run starts after its last completed round.
    let kept: KeptReleases
    /// The round of the latest update kept per run since this process started.
    var keptRounds: [String: Int] = [:]
    /// When each run with state here last had a task (monotonic seconds).
    var lastTask: [String: Double] = [:]
    /// Runs the orchestrator said have ended, with how: their tasks are refused.
    var endedRuns: [String: String] = [:]
    /// Runs released for want of tasks, with the round of the update kept for them and how
    /// long they had been idle: a replay of that round without its kept update is refused.
    var idleReleases: [String: (round: Int?, idleSeconds: Double)] = [:]
    /// The clock for idleness (tests pass one they move).
    let clock: @Sendable () -> Double

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
        guard let noise else {
            return try await logged(context.runID, round: 0, taskID: taskID) { try await site.aggregates(schema: context.schema, noise: nil) }
        }
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
        let aggregates = try await logged(context.runID, round: 0, taskID: taskID) {
            try await site.aggregates(schema: context.schema, noise: noise, chargeID: chargeID)
        }
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
        var update = try await logged(context.runID, round: task.round, taskID: taskID) { try await site.train(task, chargeID: chargeID) }
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
        // The same policy check as training: a site scores only the models of runs it accepts
        // (its holdout's counts and score histograms leave the site, outside ε).
        let site = try await admit(context, taskID: taskID, round: task.round)
        let holdout = try await logged(context.runID, round: task.round, taskID: taskID) {
            try await site.holdoutRecordCount(schema: context.schema)
        }
        let decision = policy.checkEvaluation(heldOutRecords: holdout)
        guard decision.isAccepted else {
            _ = try await audit.append(.evaluationSuppressed, details: [
                "task": .string(taskID), "run": .string(context.runID), "round": .integer(task.round),
                "reasons": .list(decision.reasons.map(AuditValue.string)),
            ])
            return nil
        }
        var evaluation = try await logged(context.runID, round: task.round, taskID: taskID) { try await site.evaluate(task) }
        _ = try await audit.append(.evaluationSent, details: [
            "task": .string(taskID), "run": .string(context.runID), "round": .integer(task.round),
            "records": .integer(evaluation.records),
        ])
        evaluation.auditHead = await audit.currentHead
        return evaluation
    }

    // MARK: Ledger and audit

    /// Runs the run's site `work` for a task, and logs why it did not answer, if it did not:
    /// a refusal from the site's own checks (its budget, a round trained from another global
    /// model) as `task_refused`, carrying the head after that line as the policy's refusals
    /// do; any other error as `task_failed`.
    func logged<T: Sendable>(_ runID: String, round: Int, taskID: String, _ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch var error as SiteError where error.code == .refused || error.code == .budgetExhausted {
            let entry = try await audit.append(.taskRefused, details: [
                "task": .string(taskID), "run": .string(runID), "round": .integer(round), "reasons": .list([.string(error.message)]),
            ])
            error.auditHead = AuditHead(events: entry.seq, head: entry.lineHash)
            throw error
        } catch {
            _ = try await audit.append(.taskFailed, details: [
                "task": .string(taskID), "run": .string(runID), "round": .integer(round), "error": .string("\(error)"),
            ])
            throw error
        }
    }

    func record(_ charge: PrivacyCharge, taskID: String) async throws {
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

    func received(_ taskID: String, kind: String, context: RunContext, round: Int) async throws {
        var details: [String: AuditValue] = [
            "task": .string(taskID), "kind": .string(kind), "run": .string(context.runID), "round": .integer(round),
            "plan_hash": .string(context.planHash),
        ]
        if context.privacy.unit == .site { details["claimed_sampling_rate"] = .number(context.siteSamplingRate) }
        _ = try await audit.append(.taskReceived, details: details)
    }
}
