import CohortData
import CohortFederation
import CohortLearn
import CohortTensor
import Foundation
import Synchronization

/// What every task of one run carries to the sites: the plan and what it names, resolved
/// where the researcher submitted it.
public struct RunDescription: Sendable {
    public var runID: String
    public var planYAML: String
    public var planHash: String
    public var modelYAML: String
    public var schemaJSON: String
    public var rounds: Int
    /// Site unit: sites per round / sites.
    public var siteSamplingRate: Double
    /// The run's local work and privacy (the site checks them before the preprocessing too).
    public var local: LocalWork
    public var privacy: TaskPrivacy
    public var limits: MessageLimits
    /// The latest global model's wire form, shared by the run's sites.
    let payloads = PayloadCache()

    public init(runID: String, planYAML: String, planHash: String, modelYAML: String, schemaJSON: String, rounds: Int,
                siteSamplingRate: Double, local: LocalWork, privacy: TaskPrivacy, limits: MessageLimits) {
        self.local = local
        self.privacy = privacy
        self.runID = runID
        self.planYAML = planYAML
        self.planHash = planHash
        self.modelYAML = modelYAML
        self.schemaJSON = schemaJSON
        self.rounds = rounds
        self.siteSamplingRate = siteSamplingRate
        self.limits = limits
    }
}

/// The round engine's `SiteConnection` to a site of a real federation: each call becomes a
/// task on the site's stream (the model streamed after it in chunks), answered by the site's
/// Submit* or RefuseTask call through the `SiteRegistry`.
public struct RemoteSite: SiteConnection {
    public let name: String
    let registry: SiteRegistry
    let run: RunDescription
    private static let counter = Atomic<Int>(0)

    public init(name: String, registry: SiteRegistry, run: RunDescription) {
        self.name = name
        self.registry = registry
        self.run = run
    }

    /// A task message addressed to this site's task stream: its id, the run and the round.
    private func taskMessage(_ taskID: String, round: Int) -> Cohort_V1_Task {
        .with {
            $0.taskID = taskID
            $0.runID = run.runID
            $0.round = UInt32(round)
        }
    }

    /// A short id, unique in this orchestrator process: the kind's initial, the round and a
    /// serial (`t3.17`: training, round 3). Every message of a task carries it, so it is kept
    /// short; the run and the round travel in the task itself.
    private func newTaskID(_ kind: String, round: Int) -> String {
        let serial = Self.counter.add(1, ordering: .relaxed).newValue
        return "\(kind.prefix(1))\(round).\(serial)"
    }

    /// Asks the site for its preprocessing aggregates. `noise` is not sent: the site decides
    /// whether to noise them, and with which σ_pre, from the run's plan, whose hash it checks
    /// (`SiteWorker.aggregates(_:taskID:)`); the orchestrator post-processes by its own copy.
    public func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates {
        let taskID = newTaskID("preprocessing", round: 0)
        let localWork = try Cohort_V1_LocalWork(run.local)
        let task = Cohort_V1_Task.with {
            $0.taskID = taskID
            $0.runID = run.runID
            $0.round = 0
            $0.preprocessing = .with {
                $0.planYaml = run.planYAML
                $0.planHash = run.planHash
                $0.features = schema.activeFeatures.map(\.name)
                $0.schemaJson = run.schemaJSON
                $0.modelYaml = run.modelYAML
                $0.rounds = UInt32(run.rounds)
                $0.privacy = Cohort_V1_TaskPrivacy(run.privacy, siteSamplingRate: run.siteSamplingRate)
                $0.localWork = localWork
            }
        }
        guard case .aggregates(let aggregates) = try await registry.request(
            site: name, taskID: taskID, runID: run.runID, round: 0, messages: [task])
        else { throw SiteError(.failed, site: name, "answered the preprocessing task with something else") }
        return aggregates
    }

    public func train(_ task: TrainingTask) async throws -> SiteUpdate {
        let taskID = newTaskID("training", round: task.round)
        let (model, chunks, manifest) = try globalModel(task, taskID: taskID)
        var message = taskMessage(taskID, round: task.round)
        message.training = try .with {
            $0.planYaml = run.planYAML
            $0.planHash = run.planHash
            $0.preprocessingJson = try Self.json(task.preprocessing)
            $0.localWork = try Cohort_V1_LocalWork(task.local)
            $0.privacy = Cohort_V1_TaskPrivacy(task.privacy, siteSamplingRate: run.siteSamplingRate)
            $0.seed = task.seed
            $0.globalModel = model
            $0.modelYaml = run.modelYAML
            $0.schemaJson = run.schemaJSON
            $0.rounds = UInt32(run.rounds)
        }
        let expectation = SiteRegistry.UpdateExpectation(
            runID: run.runID, round: task.round, manifest: manifest, parameterCount: task.global.count, privacy: task.privacy)
        guard case .update(let update) = try await registry.request(
            site: name, taskID: taskID, runID: run.runID, round: task.round, messages: [message] + chunks, update: expectation)
        else { throw SiteError(.failed, site: name, "answered the training task with something else") }
        return update
    }

    public func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation {
        let taskID = newTaskID("evaluation", round: task.round)
        let (model, chunks, _) = try globalModel(task, taskID: taskID)
        var message = taskMessage(taskID, round: task.round)
        message.evaluation = try .with {
            $0.globalModel = model
            $0.histogramBins = UInt32(ScoreHistogram.defaultBinCount)
            $0.modelYaml = run.modelYAML
            $0.preprocessingJson = try Self.json(task.preprocessing)
            $0.schemaJson = run.schemaJSON
            $0.planHash = run.planHash
            $0.planYaml = run.planYAML
            $0.localWork = try Cohort_V1_LocalWork(task.local)
            $0.privacy = Cohort_V1_TaskPrivacy(task.privacy, siteSamplingRate: run.siteSamplingRate)
            $0.rounds = UInt32(run.rounds)
        }
        guard case .evaluation(let evaluation) = try await registry.request(
            site: name, taskID: taskID, runID: run.runID, round: task.round, messages: [message] + chunks)
        else { throw SiteError(.failed, site: name, "answered the evaluation task with something else") }
        guard let evaluation else {
            throw SiteError(.refused, site: name, "withheld its evaluation (fewer held-out records than its k)")
        }
        return evaluation
    }

    /// The task's global model: its manifest and inline chunk messages.
    private func globalModel(_ task: TrainingTask, taskID: String)
        throws -> (model: Cohort_V1_GlobalModel, chunks: [Cohort_V1_Task], manifest: Cohort_V1_ModelManifest)
    {
        // Every site gets the same bytes in a round: encoded and hashed once, the chunks
        // copied straight from the floats, and shared by every site's messages.
        let (manifest, pieces) = run.payloads.encoded(task.global) {
            let layout = Network.layout(definition: task.definition, inputWidth: task.inputWidth, outputWidth: task.outputWidth)
            return (WirePayload.manifest(of: layout, values: task.global), WirePayload.chunks(of: task.global, size: run.limits.chunkBytes))
        }
        let model = Cohort_V1_GlobalModel.with {
            $0.manifest = manifest
            $0.inlineChunkCount = UInt32(pieces.count)
        }
        let chunks = pieces.enumerated().map { index, piece in
            // A chunk names only its task (cohort.proto): the run and round are the task's.
            Cohort_V1_Task.with {
                $0.taskID = taskID
                $0.globalModelChunk = .with { $0.index = UInt32(index); $0.payload = piece }
            }
        }
        return (model, chunks, manifest)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// The wire form of the latest global model, so that a round encodes and hashes it once for
/// all its sites rather than once per site.
final class PayloadCache: Sendable {
    private let latest = Mutex<(model: [Float], manifest: Cohort_V1_ModelManifest, chunks: [Data])?>(nil)

    func encoded(_ model: [Float], _ make: () -> (Cohort_V1_ModelManifest, [Data])) -> (Cohort_V1_ModelManifest, [Data]) {
        if let hit = latest.withLock({ entry in entry.flatMap { $0.model == model ? ($0.manifest, $0.chunks) : nil } }) {
            return hit
        }
        let (manifest, chunks) = make()
        latest.withLock { $0 = (model, manifest, chunks) }
        return (manifest, chunks)
    }
}
