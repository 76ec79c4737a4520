/// One line of `metrics.jsonl`: what a round did.
///
/// The keys are the property names (`trainingLoss`, `evaluationRecords`), as run stores
/// have always written them, except the requested metrics added later: `metrics` and
/// `undefined_metrics`. Records written before those existed decode with both empty.
public struct RoundRecord: Sendable, Codable, Equatable {
    public struct SiteMetrics: Sendable, Codable, Equatable {
        public var records: Int
        public var accuracy: Double
        public var auroc: Double?
        /// The plan's requested metrics on this site's holdout alone, those with a value, by
        /// plan name (nil in records written before they were kept).
        public var metrics: [String: Double]?
    }

    public var round: Int
    /// Sites sampled for the round, and those whose update counted.
    public var sampled: [String]
    public var answered: [String]
    /// Sites dropped from the round, with the reason.
    public var dropped: [String: String]
    /// Mean local training loss over answering sites, weighted by records.
    public var trainingLoss: Double?
    /// Pooled holdout metrics (rounds with evaluation only).
    public var evaluationLoss: Double?
    public var accuracy: Double?
    public var auroc: Double?
    /// Multi-class: macro-F1 of the pooled confusion matrix (nil where undefined).
    public var macroF1: Double?
    public var evaluationRecords: Int?
    /// Per-site holdout metrics, only for sites with at least k records.
    public var perSite: [String: SiteMetrics]?
    /// ε so far per ledger: "run" (site unit) or each site's name (record unit).
    public var epsilon: [String: Double]
    public var seconds: Double
    /// Bytes of model weights sent to and received from sites this round.
    public var bytesSent: Int
    public var bytesReceived: Int
    /// The plan's requested holdout metrics that have a value this round, by plan name
    /// (`auprc`, `log_loss`), pooled over the sites (rounds with evaluation only).
    public var metrics: [String: Double] = [:]
    /// The requested metrics that have no value this round, by plan name, with the reason
    /// (`auroc`: "a binary metric; the task has 3 classes").
    public var undefinedMetrics: [String: String] = [:]
    /// Adaptive clipping: the clip bound C this round's deltas were clipped to, and the
    /// noised unclipped fraction b̃ it released, which sets the next round's bound.
    public var clipNorm: Double?
    public var unclippedFraction: Double?
    /// The audit head each site sent with its update, evaluation or refusal this round (the
    /// latest when it sent several), by site: the orchestrator's copy, kept off the site's
    /// machine (`AuditAnchor`). Nil when no site sent one (`cohort simulate`, sites before anchors).
    public var auditAnchors: [String: AuditHead]?
    /// Heads that were sent but could not anchor a log, by site, with the reason
    /// (`AuditHead.anchorProblem`); the update itself still counts.
    public var droppedAuditAnchors: [String: String]?
    /// Sites whose head this round shows their log lost or rewrote lines it had at an earlier
    /// round (fewer events than an earlier anchor, or as many with another hash), with what
    /// the orchestrator saw (`checkAuditAnchors(against:)`).
    public var auditAnchorWarnings: [String: String]?

    enum CodingKeys: String, CodingKey {
        case round, sampled, answered, dropped, trainingLoss, evaluationLoss, accuracy, auroc, macroF1
        case evaluationRecords, perSite, epsilon, seconds, bytesSent, bytesReceived
        case metrics
        case undefinedMetrics = "undefined_metrics"
        case clipNorm = "clip_norm"
        case unclippedFraction = "unclipped_fraction"
        case auditAnchors = "audit_anchors"
        case droppedAuditAnchors = "audit_anchors_dropped"
        case auditAnchorWarnings = "audit_anchor_warnings"
    }
}

extension RoundRecord {
    /// Reads a record; `metrics` and `undefined_metrics` may be missing (records written
    /// before they existed), and are then empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        round = try container.decode(Int.self, forKey: .round)
        sampled = try container.decode([String].self, forKey: .sampled)
        answered = try container.decode([String].self, forKey: .answered)
        dropped = try container.decode([String: String].self, forKey: .dropped)
        trainingLoss = try container.decodeIfPresent(Double.self, forKey: .trainingLoss)
        evaluationLoss = try container.decodeIfPresent(Double.self, forKey: .evaluationLoss)
        accuracy = try container.decodeIfPresent(Double.self, forKey: .accuracy)
        auroc = try container.decodeIfPresent(Double.self, forKey: .auroc)
        macroF1 = try container.decodeIfPresent(Double.self, forKey: .macroF1)
        evaluationRecords = try container.decodeIfPresent(Int.self, forKey: .evaluationRecords)
        perSite = try container.decodeIfPresent([String: SiteMetrics].self, forKey: .perSite)
        epsilon = try container.decode([String: Double].self, forKey: .epsilon)
        seconds = try container.decode(Double.self, forKey: .seconds)
        bytesSent = try container.decode(Int.self, forKey: .bytesSent)
        bytesReceived = try container.decode(Int.self, forKey: .bytesReceived)
        metrics = try container.decodeIfPresent([String: Double].self, forKey: .metrics) ?? [:]
        undefinedMetrics = try container.decodeIfPresent([String: String].self, forKey: .undefinedMetrics) ?? [:]
        clipNorm = try container.decodeIfPresent(Double.self, forKey: .clipNorm)
        unclippedFraction = try container.decodeIfPresent(Double.self, forKey: .unclippedFraction)
        auditAnchors = try container.decodeIfPresent([String: AuditHead].self, forKey: .auditAnchors)
        droppedAuditAnchors = try container.decodeIfPresent([String: String].self, forKey: .droppedAuditAnchors)
        auditAnchorWarnings = try container.decodeIfPresent([String: String].self, forKey: .auditAnchorWarnings)
    }
}

extension RoundRecord {
    /// One requested metric of a round: its value, or the reason it has none.
    public struct RequestedMetric: Sendable, Equatable {
        public var metric: Plan.Evaluation.Metric
        public var value: Double?
        public var undefinedReason: String?
    }

    /// The metrics of `metrics` and `undefinedMetrics` in the order of
    /// `Plan.Evaluation.Metric.allCases` (names this version does not know are left out);
    /// empty for a round without evaluation or a record written before they existed.
    public var requestedMetrics: [RequestedMetric] {
        Plan.Evaluation.Metric.allCases.compactMap { metric in
            let name = metric.rawValue
            if let value = metrics[name] { return RequestedMetric(metric: metric, value: value, undefinedReason: nil) }
            if let reason = undefinedMetrics[name] { return RequestedMetric(metric: metric, value: nil, undefinedReason: reason) }
            return nil
        }
    }
}
