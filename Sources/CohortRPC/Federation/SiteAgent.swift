import CohortData
import CohortFederation
import CohortLearn
import CohortTensor
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// The network side of `cohort site`: dials out to the orchestrator over mutual TLS,
/// registers, keeps a heartbeat, pulls tasks from its task stream and answers each through
/// the `SiteWorker`. When the orchestrator goes away it reconnects with exponential backoff.
public struct SiteAgent: Sendable {
    public var worker: SiteWorker
    public var host: String
    public var port: Int
    public var credentials: PartyCredentials
    public var limits: MessageLimits
    /// Reconnection delays: the first, and the most (doubling in between).
    public var initialBackoff: Double
    public var maximumBackoff: Double
    /// A pause before each training task, for tests that stop a site in mid-round; 0 otherwise.
    public var trainingDelay: Double = 0
    /// A run with no task for this long has its state released at the site (`SiteWorker.releaseIdleRuns`).
    public var idleRunSeconds: Double = 1800
    public var log: @Sendable (String) -> Void

    public init(worker: SiteWorker, host: String, port: Int, credentials: PartyCredentials, limits: MessageLimits = .default,
                initialBackoff: Double = 0.5, maximumBackoff: Double = 30, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.worker = worker
        self.host = host
        self.port = port
        self.credentials = credentials
        self.limits = limits
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.log = log
    }

    /// Serves until cancelled, reconnecting after every failure; meanwhile releases the state
    /// of runs without a task for `idleRunSeconds` (checked every tenth of that, at most
    /// every minute).
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.releaseIdleRuns() }
            await self.serve()
            group.cancelAll()
        }
    }

    private func releaseIdleRuns() async {
        let interval = min(60, idleRunSeconds / 10)
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
            do {
                for runID in try await worker.releaseIdleRuns(idleFor: idleRunSeconds) {
                    log(String(format: "run %@ had no task for %.0f s; released what this site held for it", runID, idleRunSeconds))
                }
            } catch {
                log("could not release idle runs: \(error)")
            }
        }
    }

    private func serve() async {
        var delay = initialBackoff
        while !Task.isCancelled {
            let started = Date()
            do {
                try await session()
                log("the orchestrator closed the task stream")
            } catch {
                log("connection to \(host):\(port) failed: \(error)")
            }
            // A session that lasted resets the backoff; quick failures back off exponentially.
            if Date().timeIntervalSince(started) > 10 { delay = initialBackoff }
            log(String(format: "reconnecting in %.1f s", delay))
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            delay = min(maximumBackoff, delay * 2)
        }
    }

    /// One connection: register, heartbeat, and the task stream until it ends.
    func session() async throws {
        let transport = try HTTP2ClientTransport.Posix.mutualTLS(host: host, port: port, credentials: credentials, limits: limits)
        try await withGRPCClient(transport: transport) { client in
            let service = Cohort_V1_SiteService.Client(wrapping: client)
            let registration = try await service.register(
                .with { $0.softwareVersion = CohortVersion.current }, options: Self.callOptions)
            log("registered with the orchestrator as \(registration.siteID)")
            let interval = max(1, Int(registration.heartbeatIntervalSeconds))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(nanoseconds: UInt64(interval) * 1_000_000_000)
                        _ = try await service.heartbeat(.with { $0.activity = .idle }, options: Self.callOptions)
                    }
                }
                group.addTask {
                    try await service.tasks(.init()) { response in
                        var incoming = IncomingTask?.none
                        // The run texts this connection has carried (a new connection gets them again).
                        var texts = RunTextsByRun(capacity: 4)
                        for try await message in response.messages {
                            if case .globalModelChunk(let chunk)? = message.kind {
                                guard var pending = incoming, pending.task.taskID == message.taskID else {
                                    log("ignored a model chunk for \(message.taskID): no such task is arriving")
                                    continue
                                }
                                incoming = nil  // `pending` alone holds the floats: appending copies nothing
                                pending.payload.append(chunk.payload)
                                pending.chunksLeft -= 1
                                incoming = pending
                            } else {
                                incoming = IncomingTask(task: message)
                            }
                            if let ready = incoming, ready.chunksLeft <= 0 {
                                incoming = nil
                                await handle(ready, texts: &texts, service: service)
                            }
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// A task and the model chunks that follow it, decoded to floats as they arrive.
    struct IncomingTask {
        var task: Cohort_V1_Task
        var payload: WirePayload.Assembler
        var chunksLeft: Int

        init(task: Cohort_V1_Task) {
            self.task = task
            let model: Cohort_V1_GlobalModel?
            switch task.kind {
            case .training(let training): model = training.globalModel
            case .evaluation(let evaluation): model = evaluation.globalModel
            default: model = nil
            }
            chunksLeft = model.map(Self.inline) ?? 0
            // Room for the announced model, at most the message limit's worth per chunk.
            let announced = Int(clamping: model?.manifest.payloadBytes ?? 0)
            payload = WirePayload.Assembler(expectedBytes: min(announced, chunksLeft * MessageLimits.default.maxMessageBytes))
        }

        static func inline(_ model: Cohort_V1_GlobalModel) -> Int {
            if case .inlineChunkCount(let count)? = model.delivery { return Int(count) }
            return 0
        }
    }

    static var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(120)
        return options
    }

    /// Answers one task, its omitted run texts filled from `texts`; every failure becomes a
    /// refusal with its reason (and, when the worker logged it, its audit head).
    func handle(_ incoming: IncomingTask, texts: inout RunTextsByRun,
                service: Cohort_V1_SiteService.Client<HTTP2ClientTransport.Posix>) async {
        var task = incoming.task
        do {
            try texts.fillOmitted(in: &task)
            switch task.kind {
            case .preprocessing(let preprocessing):
                let context = try Self.context(task, planYAML: preprocessing.planYaml, planHash: preprocessing.planHash,
                                               modelYAML: preprocessing.modelYaml, schemaJSON: preprocessing.schemaJson,
                                               rounds: preprocessing.rounds, local: preprocessing.localWork,
                                               privacy: preprocessing.privacy)
                let aggregates = try await worker.aggregates(context, taskID: task.taskID)
                let receipt = try await service.submitAggregates(
                    Cohort_V1_AggregatesResult(aggregates, runID: task.runID, taskID: task.taskID), options: Self.callOptions)
                if !receipt.accepted { log("the orchestrator rejected our aggregates: \(receipt.rejectionReason)") }
            case .training(let training):
                let context = try Self.context(task, planYAML: training.planYaml, planHash: training.planHash,
                                               modelYAML: training.modelYaml, schemaJSON: training.schemaJson,
                                               rounds: training.rounds, local: training.localWork, privacy: training.privacy)
                let work = try Self.trainingTask(task, context: context, preprocessingJSON: training.preprocessingJson,
                                                 model: training.globalModel, payload: incoming.payload, seed: training.seed)
                if trainingDelay > 0 { try await Task.sleep(nanoseconds: UInt64(trainingDelay * 1e9)) }
                let update = try await worker.train(work, context: context, taskID: task.taskID)
                log("round \(task.round) of \(task.runID): trained \(update.steps) steps on \(update.records) records")
                let receipt = try await submit(update, task: task, manifest: training.globalModel.manifest, service: service)
                try await worker.sent(update, taskID: task.taskID, runID: task.runID, round: Int(task.round),
                                      bytes: Int(receipt.payloadBytes), accepted: receipt.accepted,
                                      reason: receipt.accepted ? nil : receipt.rejectionReason)
            case .evaluation(let evaluation):
                // The run as the plan describes it, for the same policy check as training.
                let context = try Self.context(task, planYAML: evaluation.planYaml, planHash: evaluation.planHash,
                                               modelYAML: evaluation.modelYaml, schemaJSON: evaluation.schemaJson,
                                               rounds: evaluation.rounds, local: evaluation.hasLocalWork ? evaluation.localWork : nil,
                                               privacy: evaluation.hasPrivacy ? evaluation.privacy : nil)
                let work = try Self.trainingTask(task, context: context, preprocessingJSON: evaluation.preprocessingJson,
                                                 model: evaluation.globalModel, payload: incoming.payload, seed: 0)
                let result = try await worker.evaluate(work, context: context, taskID: task.taskID)
                _ = try await service.submitEvaluation(
                    Cohort_V1_EvaluationResult(result, runID: task.runID, round: Int(task.round), taskID: task.taskID),
                    options: Self.callOptions)
            case .runEnded(let ended):
                try await worker.endRun(task.runID, state: ended.state)
                log("run \(task.runID) ended (\(ended.state)); released what this site held for it")
            case .refusalAcknowledgement(let acknowledgement):
                log("the orchestrator acknowledged our refusal of \(acknowledgement.refusedTaskID): \(acknowledgement.outcome)")
            case .globalModelChunk, nil:
                log("ignored a message of task \(task.taskID) with no task in it")
            }
        } catch {
            let refusal = Cohort_V1_Refusal(refusing: task.taskID, of: task.runID, because: error)
            log("refused task \(task.taskID): \(refusal.reasons.joined(separator: "; "))")
            _ = try? await service.refuseTask(refusal, options: Self.callOptions)
        }
    }

    /// Streams an update: header, payload chunks, trailer. Each chunk is copied from the
    /// delta as it is written, so no whole second copy of the update exists.
    func submit(_ update: SiteUpdate, task: Cohort_V1_Task, manifest: Cohort_V1_ModelManifest,
                service: Cohort_V1_SiteService.Client<HTTP2ClientTransport.Posix>) async throws -> Cohort_V1_UpdateReceipt {
        let delta = update.delta
        let payloadBytes = delta.count * 4
        let sha256 = WirePayload.sha256(of: delta)
        let header = Cohort_V1_UpdateHeader.with {
            $0.runID = task.runID
            $0.round = task.round
            $0.taskID = task.taskID
            $0.records = UInt64(update.records)
            $0.steps = UInt64(update.steps)
            $0.trainingLoss = update.trainingLoss
            if let epsilon = update.siteEpsilon { $0.siteEpsilon = epsilon }
            if let signal = update.unclippedSignal { $0.unclippedSignal = signal }
            if let head = update.auditHead { $0.auditHead = Cohort_V1_AuditHead(head) }
            $0.manifest = manifest
            $0.manifest.payloadBytes = UInt64(payloadBytes)
            $0.manifest.sha256 = sha256
        }
        let chunkBytes = limits.chunkBytes
        return try await service.submitUpdate(options: Self.callOptions) { writer in
            try await writer.write(.with { $0.header = header })
            for offset in stride(from: 0, to: max(payloadBytes, 1), by: chunkBytes) {
                try await writer.write(.with { $0.payload = WirePayload.chunk(of: delta, at: offset, size: chunkBytes) })
            }
            try await writer.write(.with {
                $0.trailer = .with { $0.payloadBytes = UInt64(payloadBytes); $0.sha256 = sha256 }
            })
        }
    }

    static func context(_ task: Cohort_V1_Task, planYAML: String, planHash: String, modelYAML: String, schemaJSON: String,
                        rounds: UInt32, local: Cohort_V1_LocalWork?, privacy: Cohort_V1_TaskPrivacy?) throws -> SiteWorker.RunContext {
        let definition: ModelDefinition
        do {
            definition = try ModelDefinition.parse(yaml: modelYAML, source: "the task's model")
        } catch {
            throw WireError("the task's model definition does not parse: \(error)")
        }
        let schema = try Schema(jsonData: Data(schemaJSON.utf8), fileName: "the task's schema")
        let decodedPrivacy = try privacy?.decoded() ?? TaskPrivacy()
        return SiteWorker.RunContext(
            runID: task.runID, planYAML: planYAML, planHash: planHash, definition: definition, schema: schema,
            rounds: Int(rounds), local: try local?.decoded() ?? LocalWork(), privacy: decodedPrivacy,
            siteSamplingRate: privacy?.siteSamplingRate ?? 1)
    }

    /// The federation's `TrainingTask` for a task message and its assembled model.
    static func trainingTask(_ task: Cohort_V1_Task, context: SiteWorker.RunContext, preprocessingJSON: String,
                             model: Cohort_V1_GlobalModel, payload: WirePayload.Assembler, seed: UInt64) throws -> TrainingTask {
        let statistics: PreprocessingStatistics
        do {
            statistics = try JSONDecoder().decode(PreprocessingStatistics.self, from: Data(preprocessingJSON.utf8))
        } catch {
            throw WireError("the task's preprocessing statistics do not decode: \(error)")
        }
        let classes = context.schema.label.classes.count
        let loss = Loss.forClassification(classCount: classes)
        let outputWidth = loss.outputWidth(classCount: classes)
        let layout = Network.layout(definition: context.definition, inputWidth: statistics.encodedFeatureCount,
                                    outputWidth: outputWidth)
        if let mismatch = WirePayload.mismatch(model.manifest, layout: layout) {
            throw WireError("the global model does not fit the model definition: \(mismatch)")
        }
        guard UInt64(payload.byteCount) == model.manifest.payloadBytes, payload.sha256 == model.manifest.sha256,
              let global = payload.finished(),
              global.count == layout.reduce(0, { $0 + $1.shape.reduce(1, *) })
        else { throw WireError("the global model arrived damaged (size or SHA-256 differs from its manifest)") }
        guard global.allSatisfy(\.isFinite) else { throw WireError("the global model holds NaN or infinite values") }
        return TrainingTask(
            runID: task.runID, round: Int(task.round), definition: context.definition, loss: loss,
            inputWidth: statistics.encodedFeatureCount, outputWidth: outputWidth, global: global, preprocessing: statistics,
            local: context.local, privacy: context.privacy, seed: seed)
    }
}
