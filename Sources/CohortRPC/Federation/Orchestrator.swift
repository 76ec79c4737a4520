import CohortData
import CohortFederation
import CohortLearn
import Foundation
import GRPCCore

/// The orchestrator's service behind the two gRPC services: it queues researchers' runs and
/// executes them one at a time with the shared `RoundEngine`, over `RemoteSite`s of the
/// connected sites, and streams each run's events to its watchers.
///
/// Everything that must survive a crash goes through the `RunStore` (STATE/runs.log with
/// checksums, a checkpoint per completed round, the final model): on start the orchestrator
/// replays it, and resumes each unfinished run after its last completed round. Sites keep
/// their ledgers by round, so a replayed round is never charged twice.
public actor Orchestrator {
    /// Settings from `orchestrator.yaml`.
    public struct Options: Sendable {
        public var limits: MessageLimits
        /// How long a run waits for its sites to connect before round 1.
        public var siteWaitSeconds: Double
        public var heartbeatSeconds: Int
        /// Runs' files (models) live under `STATE/runs/RUN-ID/`.
        public var stateDirectory: URL

        public init(stateDirectory: URL, limits: MessageLimits = .default, siteWaitSeconds: Double = 30,
                    heartbeatSeconds: Int = 10) {
            self.stateDirectory = stateDirectory
            self.limits = limits
            self.siteWaitSeconds = siteWaitSeconds
            self.heartbeatSeconds = heartbeatSeconds
        }
    }

    private struct Run {
        var id: String
        var submission: RunSubmission
        var submitted: Date
        var state: Cohort_V1_RunState = .queued
        var roundsCompleted = 0
        var events: [Cohort_V1_RunEvent] = []
        var watchers: [Int: AsyncStream<Cohort_V1_RunEvent>.Continuation] = [:]
        var cancelReason: String?
        var task: Task<Void, Never>?
    }

    public let options: Options
    public let registry = SiteRegistry()
    private let store: RunStore
    private var runs: [String: Run] = [:]
    private var order: [String] = []
    private var queue: [String] = []
    private var running: String?
    private var nextWatcher = 0
    private let log: @Sendable (String) -> Void

    /// Opens the state directory's store (a damaged log is an error naming file and line).
    public init(options: Options, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.options = options
        self.log = log
        store = try RunStore(directory: options.stateDirectory)
    }

    /// Replays the store, wires the registry's refusals into the runs' event streams and
    /// queues the unfinished runs again; call once before serving.
    public func start() async {
        await registry.setRefusalHandler { [weak self] runID, refusal in
            Task { await self?.refused(runID: runID, refusal) }
        }
        for stored in await store.runs().reversed() {
            var run = Run(id: stored.id, submission: stored.submission, submitted: stored.submitted)
            run.roundsCompleted = stored.roundsCompleted
            run.state = stored.state.wire
            let delta = Self.delta(stored.submission)
            for record in stored.history {
                if let wire = try? Cohort_V1_RoundRecord(record, delta: delta) { run.events.append(Self.event(stored.id) { $0.round = wire }) }
            }
            for refusal in stored.refusals {
                run.events.append(Self.event(stored.id) { $0.refusal = Cohort_V1_SiteRefusal(refusal) })
            }
            if stored.state.isFinished {
                run.events.append(Self.event(stored.id) {
                    $0.finished = .with {
                        $0.state = stored.state.wire
                        $0.message = stored.message ?? ""
                        $0.roundsCompleted = UInt32(stored.roundsCompleted)
                    }
                })
            } else {
                run.state = .queued
                queue.append(stored.id)
                log("\(stored.id): unfinished at the last shutdown (\(stored.roundsCompleted) rounds completed); queued to resume")
            }
            runs[stored.id] = run
            order.append(stored.id)
        }
        startNextIfIdle()
    }

    // MARK: Researcher calls

    /// Validates and queues a run. Throws `RPCError(.invalidArgument)` naming what is wrong.
    public func submit(planYAML: String, modelYAML: String, schemaJSON: String, submittedBy: String)
        async throws(RPCError) -> (runID: String, planHash: String)
    {
        let plan: Plan
        let definition: ModelDefinition
        let schema: Schema
        do {
            plan = try Plan.parse(yaml: planYAML, source: "the submitted plan")
            guard !schemaJSON.isEmpty else {
                throw WireError("the plan has no schema: a real federation's plan names one (`cohort schema infer`), "
                                + "because no rows leave the sites to infer it")
            }
            schema = try Schema(jsonData: Data(schemaJSON.utf8), fileName: "the submitted schema")
            let names = try Self.siteNames(plan)
            definition = try ModelDefinition.parse(yaml: modelYAML, source: "the submitted model")
            _ = try FederationConfiguration(plan: plan, definition: definition, schema: schema, siteRows: nil,
                                            siteCount: names.count, runID: "check")
            _ = try plan.strategy.makeStrategy()
        } catch {
            throw RPCError(code: .invalidArgument, message: "\(error)")
        }
        let submission = RunSubmission(
            planYAML: planYAML, planHash: plan.hash, planName: plan.name, roundsPlanned: plan.rounds,
            modelDefinition: definition, schema: schema, submittedBy: submittedBy)
        let stored: StoredRun
        do {
            stored = try await store.submit(submission)
        } catch {
            throw RPCError(code: .internalError, message: "the orchestrator could not record the run: \(error)")
        }
        let id = stored.id
        runs[id] = Run(id: id, submission: submission, submitted: stored.submitted)
        order.append(id)
        queue.append(id)
        log("\(id): plan \(plan.name) submitted by \(submittedBy), plan hash \(plan.hash.prefix(12))…")
        startNextIfIdle()
        return (id, plan.hash)
    }

    /// The run's events so far (rounds from `fromRound`), then new ones until it ends.
    public func watch(runID: String, fromRound: Int) throws(RPCError) -> (watcher: Int, events: AsyncStream<Cohort_V1_RunEvent>) {
        guard var run = runs[runID] else { throw RPCError(code: .notFound, message: "no run \(runID)") }
        let (stream, continuation) = AsyncStream<Cohort_V1_RunEvent>.makeStream(bufferingPolicy: .unbounded)
        for event in run.events {
            if case .round(let record)? = event.kind, record.round < fromRound { continue }
            continuation.yield(event)
        }
        nextWatcher += 1
        let id = nextWatcher
        if Self.isFinal(run.state) {
            continuation.finish()
        } else {
            run.watchers[id] = continuation
            runs[runID] = run
        }
        return (id, stream)
    }

    /// Ends a watcher's stream (its researcher went away).
    public func unwatch(runID: String, watcher: Int) {
        runs[runID]?.watchers.removeValue(forKey: watcher)?.finish()
    }

    /// Every run, newest first.
    public func list() -> [Cohort_V1_RunSummary] {
        order.reversed().compactMap { runs[$0] }.map { run in
            .with {
                $0.runID = run.id
                $0.planName = run.submission.planName
                $0.planHash = run.submission.planHash
                $0.state = run.state
                $0.roundsCompleted = UInt32(run.roundsCompleted)
                $0.roundsPlanned = UInt32(run.submission.roundsPlanned)
                $0.submittedBy = run.submission.submittedBy
                $0.submittedUnixMs = Int64(run.submitted.timeIntervalSince1970 * 1000)
            }
        }
    }

    /// The run's final model file.
    public func model(runID: String) async throws(RPCError) -> Data {
        guard runs[runID] != nil else { throw RPCError(code: .notFound, message: "no run \(runID)") }
        let data: Data?
        do {
            data = try await store.model(runID: runID)
        } catch {
            throw RPCError(code: .dataLoss, message: "the model of \(runID) is damaged: \(error)")
        }
        guard let data else {
            throw RPCError(code: .failedPrecondition, message: "run \(runID) has no model (it has not completed)")
        }
        return data
    }

    /// Cancels a queued run, or stops a running one; returns its state afterwards.
    public func cancel(runID: String, reason: String) async throws(RPCError) -> Cohort_V1_RunState {
        guard let run = runs[runID] else { throw RPCError(code: .notFound, message: "no run \(runID)") }
        if Self.isFinal(run.state) { return run.state }
        let why = reason.isEmpty ? "cancelled by the researcher" : "cancelled: \(reason)"
        runs[runID]?.cancelReason = why
        if run.state == .queued {
            queue.removeAll { $0 == runID }
            await finish(runID, state: .cancelled, message: why, summaryJSON: "")
        } else {
            run.task?.cancel()
        }
        return runs[runID]?.state ?? .cancelled
    }

    // MARK: Running

    private func startNextIfIdle() {
        guard running == nil, !queue.isEmpty else { return }
        let id = queue.removeFirst()
        running = id
        runs[id]?.state = .running
        runs[id]?.task = Task { await self.execute(id) }
    }

    private func execute(_ runID: String) async {
        guard let run = runs[runID] else { return }
        do {
            let submission = run.submission
            let plan = try Plan.parse(yaml: submission.planYAML, source: "run \(runID)")
            let definition = submission.modelDefinition
            let schema = submission.schema
            let checkpoint = try await store.latestCheckpoint(runID: runID)
            try await store.markRunning(runID)
            log("\(runID): " + (checkpoint.map { "resuming after round \($0.round)" } ?? "started"))
            let names = try Self.siteNames(plan)
            let configuration = try FederationConfiguration(
                plan: plan, definition: definition, schema: schema, siteRows: nil, siteCount: names.count, runID: runID)
            let strategy = try plan.strategy.makeStrategy()
            let description = RunDescription(
                runID: runID, planYAML: submission.planYAML, planHash: submission.planHash, modelYAML: definition.yaml(),
                schemaJSON: String(decoding: try schema.jsonData(), as: UTF8.self), rounds: plan.rounds,
                siteSamplingRate: Double(configuration.sampling.count(of: names.count)) / Double(names.count),
                local: configuration.local, privacy: configuration.privacy, limits: options.limits)
            let connected = await registry.waitForSites(names, seconds: options.siteWaitSeconds)
            let missing = names.filter { !connected.contains($0) }
            if !missing.isEmpty { log("\(runID): not connected after \(options.siteWaitSeconds) s: \(missing.joined(separator: ", "))") }
            let sites = names.map { RemoteSite(name: $0, registry: registry, run: description) }

            // Round records reach the actor in order through one stream.
            let (records, recordSink) = AsyncStream<RoundRecord>.makeStream(bufferingPolicy: .unbounded)
            let consumer = Task {
                for await record in records { self.roundCompleted(runID, record, delta: configuration.privacy.delta) }
            }
            var engine = RoundEngine(configuration: configuration, strategy: strategy)
            let outcome: Result<RoundEngine.Result, any Error>
            let store = self.store
            do {
                // Each round is durable (checkpoint, then its log line) before anyone hears of it.
                outcome = .success(try await engine.run(
                    sites: sites, resumingFrom: checkpoint, checkpoint: { try await store.recordRound(runID, checkpoint: $0) },
                    progress: { recordSink.yield($0) }))
            } catch {
                outcome = .failure(error)
            }
            recordSink.finish()
            await consumer.value
            let result = try outcome.get()
            let model = try result.model.fileData()
            let summary = RunSummary(result: result, configuration: configuration, runDirectory: store.runFolder(runID).path)
            let cancelled = runs[runID]?.cancelReason
            let message = cancelled ?? result.stoppedEarly ?? "\(result.history.count) rounds completed"
            await finish(runID, state: cancelled == nil ? .completed : .cancelled, message: message,
                         summaryJSON: (try? RemoteSite.json(summary)) ?? "", model: model)
        } catch {
            let cancelled = runs[runID]?.cancelReason
            await finish(runID, state: cancelled == nil ? .failed : .cancelled, message: cancelled ?? "\(error)", summaryJSON: "")
        }
    }

    private func roundCompleted(_ runID: String, _ record: RoundRecord, delta: Double) {
        guard let wire = try? Cohort_V1_RoundRecord(record, delta: delta) else { return }
        runs[runID]?.roundsCompleted = record.round
        var line = "\(runID): round \(record.round) sites \(record.answered.count)/\(record.sampled.count)"
        if !record.dropped.isEmpty {
            line += " dropped " + record.dropped.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        }
        for (site, reason) in (record.droppedAuditAnchors ?? [:]).sorted(by: { $0.key < $1.key }) { line += "; \(site): \(reason)" }
        for (site, warning) in (record.auditAnchorWarnings ?? [:]).sorted(by: { $0.key < $1.key }) {
            line += "; warning: \(site): \(warning)"
        }
        log(line)
        publish(runID) { $0.round = wire }
    }

    /// Records a refusal, with the audit head the site sent (durably, in `runs.log`: a refused
    /// preprocessing has no round record to keep it), and tells the run's watchers.
    private func refused(runID: String, _ refusal: RunRefusal) async {
        do {
            try await store.recordRefusal(runID, refusal)
        } catch {
            log("\(runID): could not record \(refusal.site)'s refusal: \(error)")
        }
        var line = "\(runID): \(refusal.site) refused round \(refusal.round): \(refusal.reasons.joined(separator: "; "))"
        if let dropped = refusal.droppedAuditHead { line += "; \(dropped)" }
        log(line)
        publish(runID) { $0.refusal = Cohort_V1_SiteRefusal(refusal) }
    }

    private func finish(_ runID: String, state: Cohort_V1_RunState, message: String, summaryJSON: String, model: Data? = nil) async {
        guard let run = runs[runID] else { return }
        var recorded = true
        do {
            try await store.finish(runID, state: RunState(state), message: message, model: model)
        } catch {
            recorded = false
            log("\(runID): could not record its end: \(error)")
        }
        runs[runID]?.state = state
        log("\(runID): \(message)")
        publish(runID) {
            $0.finished = .with {
                $0.state = state
                $0.message = message
                $0.roundsCompleted = UInt32(run.roundsCompleted)
                $0.summaryJson = summaryJSON
            }
        }
        for continuation in runs[runID]?.watchers.values ?? [:].values { continuation.finish() }
        runs[runID]?.watchers = [:]
        // Once the end is durable the run's sites may let go of what they hold for it; if it
        // is not, a restart resumes the run, and its sites must still answer it.
        if recorded, let plan = try? Plan.parse(yaml: run.submission.planYAML, source: runID), let names = try? Self.siteNames(plan) {
            await registry.announceEnd(of: runID, state: RunState(state).rawValue, message: message, to: names)
        }
        if running == runID { running = nil }
        startNextIfIdle()
    }

    private func publish(_ runID: String, _ fill: (inout Cohort_V1_RunEvent) -> Void) {
        let event = Self.event(runID, fill)
        runs[runID]?.events.append(event)
        for continuation in runs[runID]?.watchers.values ?? [:].values { continuation.yield(event) }
    }

    private static func event(_ runID: String, _ fill: (inout Cohort_V1_RunEvent) -> Void) -> Cohort_V1_RunEvent {
        var event = Cohort_V1_RunEvent()
        event.runID = runID
        event.timeUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
        fill(&event)
        return event
    }

    /// The δ a run reports ε at.
    private static func delta(_ submission: RunSubmission) -> Double {
        (try? Plan.parse(yaml: submission.planYAML, source: submission.planName).privacy.delta) ?? 0
    }

    /// The sites a real run trains with: the plan's `sites` by name (their `data` stays at
    /// the sites and is not read here).
    static func siteNames(_ plan: Plan) throws -> [String] {
        guard case .sites(let sites) = plan.data else {
            throw WireError("field 'data': a real federation's plan lists its sites by name (`sites: [{name: …}]`); "
                            + "partitioning one CSV is for `cohort simulate`")
        }
        return sites.map(\.name)
    }

    static func isFinal(_ state: Cohort_V1_RunState) -> Bool {
        state == .completed || state == .cancelled || state == .failed
    }
}
