import CohortLearn
import Foundation

/// The folder a run writes: the global model, one JSON line per round, a report, and a
/// summary; in a real federation also the sites' audit anchors. `metrics.jsonl` is appended
/// and flushed after every round, so a crash loses at most the round in progress.
public struct RunFolder: Sendable {
    public let url: URL
    /// The run's id, written with each audit anchor (nil: anchors without it).
    public let runID: String?

    public var modelURL: URL { url.appendingPathComponent("model.safetensors") }
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }
    public var reportURL: URL { url.appendingPathComponent("report.html") }
    public var summaryURL: URL { url.appendingPathComponent("summary.json") }
    /// One `AuditAnchor` per site and round whose record holds one (`RoundRecord.auditAnchors`),
    /// and one per site that refused the preprocessing with a head (round 0, which has no
    /// record: `RunRefusal`), for `cohort audit verify LOG --anchors FILE --site NAME`; absent
    /// when there are none.
    public var auditAnchorsURL: URL { url.appendingPathComponent("site-audit-anchors.jsonl") }

    /// Creates the folder (and its parents); an existing `metrics.jsonl` is replaced, and an
    /// existing `site-audit-anchors.jsonl` removed.
    public init(url: URL, runID: String? = nil) throws {
        self.url = url
        self.runID = runID
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data().write(to: metricsURL)
        if FileManager.default.fileExists(atPath: auditAnchorsURL.path) { try FileManager.default.removeItem(at: auditAnchorsURL) }
    }

    /// Appends one round's record to `metrics.jsonl`, and its audit anchors to
    /// `site-audit-anchors.jsonl`.
    public func append(_ record: RoundRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        try Self.append(line, to: metricsURL)
        let anchors = record.auditAnchorList(run: runID)
        if !anchors.isEmpty {
            try Self.append(Data(anchors.map { $0.line + "\n" }.joined().utf8), to: auditAnchorsURL)
        }
    }

    /// Appends `anchor`, kept outside any round record (a refused preprocessing's, round 0), to
    /// `site-audit-anchors.jsonl`, unless the file lists it already (the same refusal seen
    /// again after `cohort run` reconnected).
    public func append(_ anchor: AuditAnchor) throws {
        let line = anchor.line
        if let text = try? String(contentsOf: auditAnchorsURL, encoding: .utf8),
           text.split(separator: "\n").contains(where: { $0 == line }) { return }
        try Self.append(Data((line + "\n").utf8), to: auditAnchorsURL)
    }

    /// Appends `data` to the file at `url` (created if absent) and flushes it.
    private static func append(_ data: Data, to url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) { try Data().write(to: url) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }

    /// Writes the model, the report and the summary at the end of a run.
    public func finish(_ result: RoundEngine.Result, summary: RunSummary) throws {
        try result.model.write(to: modelURL)
        try Data(RunReport.html(result, summary: summary).utf8).write(to: reportURL, options: .atomic)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(summary).write(to: summaryURL, options: .atomic)
    }
}

/// The summary `cohort simulate --json` prints as its last line and writes to `summary.json`.
public struct RunSummary: Sendable, Codable, Equatable {
    /// The pooled holdout metrics of the last evaluated round, by plan name (`auroc`,
    /// `accuracy`, `log_loss`, `auprc`, …): every metric the plan asked for that has a value,
    /// and AUROC and accuracy whenever they have one. JSON: one object of name → value.
    public struct Metrics: Sendable, Codable, Equatable {
        public var values: [String: Double]

        public var auroc: Double? { values["auroc"] }
        public var accuracy: Double? { values["accuracy"] }

        public init(values: [String: Double]) { self.values = values }

        /// The metrics of `record` (empty for nil).
        init(_ record: RoundRecord?) {
            var values = record?.metrics ?? [:]
            if let auroc = record?.auroc { values["auroc"] = auroc }
            if let accuracy = record?.accuracy { values["accuracy"] = accuracy }
            self.values = values
        }

        public init(from decoder: any Decoder) throws {
            values = try decoder.singleValueContainer().decode([String: Double].self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(values)
        }
    }

    public var rounds: Int
    public var metrics: Metrics
    /// The plan's requested metrics without a value after the last evaluated round, with the
    /// reason (`auroc`: "a binary metric; the task has 3 classes"); nil when there are none.
    public var undefinedMetrics: [String: String]?
    /// The run's ε (site unit) or the largest site ε (record unit); nil without DP.
    public var epsilon: Double?
    public var delta: Double?
    /// Site unit: the largest ε of one site against the orchestrator, which knows whom it
    /// sampled (q = 1 for each round the site answered); nil for other units.
    public var epsilonAgainstOrchestrator: Double?
    /// What ε covers, in one line.
    public var privacy: String?
    /// What was released outside ε.
    public var releasedOutsideEpsilon: [String]
    public var noise: String?
    public var stoppedEarly: String?
    public var run_dir: String

    public init(result: RoundEngine.Result, configuration: FederationConfiguration, runDirectory: String) {
        rounds = result.history.count
        let last = result.history.last { $0.evaluationRecords != nil }
        metrics = Metrics(last)
        undefinedMetrics = (last?.undefinedMetrics).flatMap { $0.isEmpty ? nil : $0 }
        let epsilons = result.history.last?.epsilon ?? [:]
        epsilon = configuration.privacy.unit == .none ? nil : (epsilons["run"] ?? epsilons.values.max())
        delta = configuration.privacy.unit == .none ? nil : configuration.privacy.delta
        epsilonAgainstOrchestrator = configuration.privacy.unit == .site
            ? RoundEngine.siteEpsilonWithoutSampling(history: result.history, privacy: configuration.privacy) : nil
        privacy = result.model.provenance.privacy
        releasedOutsideEpsilon = configuration.privacy.unit == .none ? [] : [
            "preprocessing statistics (per-feature counts, means, variances, category levels) pooled before round 1",
            "records per site (for weighting)",
            "evaluation counts and score histograms per site",
        ]
        // Noised preprocessing is inside each site's ε (its ledger's "RUN/preprocessing" charge).
        if configuration.preprocessingNoise != nil { releasedOutsideEpsilon.removeFirst() }
        noise = configuration.privacy.unit == .none ? nil
            : (configuration.privacy.noiseSeed == nil ? "secure (AES-CTR keyed by getrandom)" : "seeded: simulation only, not private")
        stoppedEarly = result.stoppedEarly
        run_dir = runDirectory
    }
}
