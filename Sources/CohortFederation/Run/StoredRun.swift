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

/// A site that refused a run's task, in a round, with its reasons (from its policy) and the
/// audit head it sent with them: its log's head after the `task_refused` line.
///
/// The head is an anchor of the site's log (`AuditAnchor`). A refusal in a round that
/// completes is also in that round's record (`RoundRecord.recordAuditHead`); a refusal of
/// the preprocessing (round 0) happens before any round record exists, so this is where the
/// orchestrator keeps its head (the `site_refused` line of `runs.log`), and the run folder
/// lists it with round 0 (`auditAnchor(run:)`).
public struct RunRefusal: Codable, Sendable, Hashable {
    public var site: String
    public var round: Int
    public var reasons: [String]
    /// The head the site sent, when it could anchor a log (`AuditHead.anchorProblem`); nil
    /// from sites without it, or when it was dropped.
    public var auditHead: AuditHead?
    /// Why the head the site sent was dropped ("audit head dropped: events must be at least
    /// 1, got 0"), as a round's `droppedAuditAnchors` says it; the refusal still counts.
    public var droppedAuditHead: String?

    /// A refusal; a `sentHead` that could not anchor a log is dropped with the reason.
    public init(site: String, round: Int, reasons: [String], sentHead: AuditHead? = nil) {
        self.site = site
        self.round = round
        self.reasons = reasons
        if let sentHead, let problem = sentHead.anchorProblem {
            droppedAuditHead = "audit head dropped: \(problem)"
        } else {
            auditHead = sentHead
        }
    }

    /// The refusal's head as a line of a run folder's `site-audit-anchors.jsonl`, nil without one.
    public func auditAnchor(run: String?) -> AuditAnchor? {
        auditHead.map { AuditAnchor(run: run, round: round, site: site, events: $0.events, hash: $0.head) }
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
