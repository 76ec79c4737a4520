import CohortData
import CohortLearn
import Foundation

/// What a researcher submitted: the plan as written and what the orchestrator read from it.
public struct RunSubmission: Codable, Sendable, Equatable {
    /// The plan's YAML text, as submitted.
    public var planYAML: String
    /// The SHA-256 of the plan's canonical form (what a site's policy can list).
    public var planHash: String
    /// The plan's `name`.
    public var planName: String
    /// The rounds the plan asks for.
    public var roundsPlanned: Int
    /// The model the plan trains.
    public var modelDefinition: ModelDefinition
    /// The feature schema the sites' data must follow.
    public var schema: Schema
    /// Who submitted it (the identity in the researcher's certificate).
    public var submittedBy: String

    public init(
        planYAML: String, planHash: String, planName: String, roundsPlanned: Int, modelDefinition: ModelDefinition,
        schema: Schema, submittedBy: String
    ) {
        self.planYAML = planYAML
        self.planHash = planHash
        self.planName = planName
        self.roundsPlanned = roundsPlanned
        self.modelDefinition = modelDefinition
        self.schema = schema
        self.submittedBy = submittedBy
    }

    private enum CodingKeys: String, CodingKey {
        case planYAML = "plan_yaml"
        case planHash = "plan_hash"
        case planName = "plan_name"
        case roundsPlanned = "rounds_planned"
        case modelDefinition = "model_definition"
        case schema
        case submittedBy = "submitted_by"
    }
}

/// Where a run is in its life: `queued` → `running` → `completed`, `cancelled` or
/// `failed` (a queued run can also be cancelled or fail).
public enum RunState: String, Codable, Sendable, Hashable, CaseIterable {
    case queued
    case running
    case completed
    case cancelled
    case failed

    /// Whether the run has ended (completed, cancelled or failed).
    public var isFinished: Bool {
        switch self {
        case .queued, .running: false
        case .completed, .cancelled, .failed: true
        }
    }
}

/// A site that refused a run's task, in a round, with its reasons (from its policy).
public struct RunRefusal: Codable, Sendable, Hashable {
    public var site: String
    public var round: Int
    public var reasons: [String]

    public init(site: String, round: Int, reasons: [String]) {
        self.site = site
        self.round = round
        self.reasons = reasons
    }
}

/// A run as the orchestrator's store knows it, rebuilt from `runs.log`.
public struct StoredRun: Sendable, Equatable, Identifiable {
    /// `run-0001-TOKEN`, `run-0002-TOKEN`, …: increasing, never reused; TOKEN is random per store.
    public var id: String
    public var submission: RunSubmission
    /// When it was submitted (the time of its log line, to the millisecond).
    public var submitted: Date
    public var state: RunState
    /// The last completed round (0 before the first).
    public var roundsCompleted: Int
    /// One record per completed round.
    public var history: [RoundRecord]
    /// The sites that refused its tasks.
    public var refusals: [RunRefusal]
    /// Why it ended (a budget, an error, who cancelled it); nil while it runs.
    public var message: String?
    /// The SHA-256 of the latest checkpoint, from the log (see `RunLog`).
    var checkpointHash: String?
    /// The `runs.log` line that recorded it.
    var checkpointLine: Int?
    /// The SHA-256 of the final model file, from the log.
    var modelHash: String?
}
