/// One line of `metrics.jsonl`: what a round did.
public struct RoundRecord: Sendable, Codable, Equatable {
    public struct SiteMetrics: Sendable, Codable, Equatable {
        public var records: Int
        public var accuracy: Double
        public var auroc: Double?
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
}
