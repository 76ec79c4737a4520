import CohortData
import CohortFederation
import CohortLearn
import Foundation

// Conversions between CohortFederation's values and the messages of cohort.proto. Decoding
// checks every field a peer could get wrong and names it in a `WireError`.

extension Cohort_V1_TaskPrivacy {
    init(_ privacy: TaskPrivacy, siteSamplingRate: Double) {
        self.init()
        switch privacy.unit {
        case .none: unit = .none
        case .record: unit = .record
        case .site: unit = .site
        }
        exampleClipNorm = privacy.exampleClipNorm
        if let bound = privacy.deltaClipNorm { deltaClipNorm = bound }
        noiseMultiplier = privacy.noiseMultiplier
        delta = privacy.delta
        if let budget = privacy.siteBudgetEpsilon { siteBudgetEpsilon = budget }
        if let seed = privacy.noiseSeed { noiseSeed = seed }
        if let sigmaB = privacy.unclippedCountNoise { unclippedCountNoise = sigmaB }
        self.siteSamplingRate = siteSamplingRate
    }

    func decoded() throws -> TaskPrivacy {
        let decodedUnit: TaskPrivacy.Unit
        switch unit {
        case .none: decodedUnit = .none
        case .record: decodedUnit = .record
        case .site: decodedUnit = .site
        case .unspecified, .UNRECOGNIZED: throw WireError("privacy.unit: unspecified or unknown (\(unit.rawValue))")
        }
        guard noiseMultiplier.isFinite, noiseMultiplier >= 0 else { throw WireError("privacy.noise_multiplier: \(noiseMultiplier)") }
        guard delta > 0, delta < 1 else { throw WireError("privacy.delta must be in (0, 1), got \(delta)") }
        guard exampleClipNorm.isFinite, exampleClipNorm > 0 || decodedUnit != .record else {
            throw WireError("privacy.example_clip_norm: \(exampleClipNorm)")
        }
        if hasDeltaClipNorm, !(deltaClipNorm.isFinite && deltaClipNorm > 0) {
            throw WireError("privacy.delta_clip_norm: \(deltaClipNorm)")
        }
        if hasUnclippedCountNoise, !(decodedUnit == .site && unclippedCountNoise.isFinite && unclippedCountNoise > 0) {
            throw WireError("privacy.unclipped_count_noise: \(unclippedCountNoise) (a finite σ_b > 0, site unit only)")
        }
        if decodedUnit == .site, !(siteSamplingRate > 0 && siteSamplingRate <= 1) {
            throw WireError("privacy.site_sampling_rate must be in (0, 1], got \(siteSamplingRate)")
        }
        return TaskPrivacy(
            unit: decodedUnit, exampleClipNorm: exampleClipNorm, deltaClipNorm: hasDeltaClipNorm ? deltaClipNorm : nil,
            noiseMultiplier: noiseMultiplier, noiseSeed: hasNoiseSeed ? noiseSeed : nil, delta: delta,
            siteBudgetEpsilon: hasSiteBudgetEpsilon ? siteBudgetEpsilon : nil,
            unclippedCountNoise: hasUnclippedCountNoise ? unclippedCountNoise : nil)
    }
}

extension Cohort_V1_LocalWork {
    init(_ work: LocalWork) throws {
        self.init()
        epochs = UInt32(work.epochs)
        steps = UInt32(work.steps ?? 0)
        batchSize = UInt32(work.batchSize)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        optimizer = String(decoding: try encoder.encode(work.optimizer), as: UTF8.self)
        learningRate = work.learningRate
        proximalMu = work.proximalMu
    }

    func decoded() throws -> LocalWork {
        guard batchSize > 0 else { throw WireError("local_work.batch_size must be positive") }
        guard steps > 0 || epochs > 0 else { throw WireError("local_work: give epochs or steps") }
        guard learningRate.isFinite, learningRate > 0 else { throw WireError("local_work.learning_rate: \(learningRate)") }
        guard proximalMu.isFinite, proximalMu >= 0 else { throw WireError("local_work.proximal_mu: \(proximalMu)") }
        let optimizerConfiguration: OptimizerConfiguration
        do {
            optimizerConfiguration = try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(optimizer.utf8))
        } catch {
            throw WireError("local_work.optimizer is not an optimizer configuration: \(optimizer.prefix(80))")
        }
        return LocalWork(epochs: Int(epochs), steps: steps > 0 ? Int(steps) : nil, batchSize: Int(batchSize),
                         optimizer: optimizerConfiguration, learningRate: learningRate, proximalMu: proximalMu)
    }
}

extension Cohort_V1_AggregatesResult {
    init(_ aggregates: FeatureAggregates, runID: String, taskID: String) {
        self.init()
        self.runID = runID
        self.taskID = taskID
        // Noised releases may hold negative counts: they go in the signed twins (cohort.proto).
        (rows, signedRows) = Self.split(aggregates.rowCount)
        features = aggregates.features.map { feature in
            .with { wire in
                switch feature {
                case .numeric(let numeric):
                    wire.name = numeric.name
                    (wire.missing, wire.signedMissing) = Self.split(numeric.missingCount)
                    wire.numeric = .with {
                        ($0.count, $0.signedCount) = Self.split(numeric.count)
                        $0.sum = numeric.sum
                        $0.sumOfSquares = numeric.sumOfSquares
                    }
                case .categorical(let categorical):
                    wire.name = categorical.name
                    (wire.missing, wire.signedMissing) = Self.split(categorical.missingCount)
                    wire.categorical = .with {
                        $0.levels = categorical.levels
                        if categorical.levelCounts.contains(where: { $0 < 0 }) {
                            $0.signedLevelCounts = categorical.levelCounts.map(Int64.init)
                        } else {
                            $0.levelCounts = categorical.levelCounts.map(UInt64.init)
                        }
                    }
                }
            }
        }
    }

    /// A count as (unsigned field, signed twin): one of them 0.
    private static func split(_ count: Int) -> (UInt64, Int64) {
        count >= 0 ? (UInt64(count), 0) : (0, Int64(count))
    }

    /// The largest count a site may report (in absolute value): far above any hospital's
    /// rows, far below where the engine's arithmetic on counts could overflow.
    static let countLimit = 1 << 40

    /// The count the unsigned field and its signed twin carry together: at most one of them
    /// set, the signed one only for a negative (noised) count, and within `countLimit`.
    private static func joined(_ unsigned: UInt64, _ signed: Int64, field: String) throws -> Int {
        guard unsigned == 0 || signed == 0, signed <= 0 else {
            throw WireError("aggregates: \(field) sets both its count fields, or a positive signed one (\(unsigned), \(signed))")
        }
        let value = signed < 0 ? Int(signed) : Int(clamping: unsigned)
        guard abs(value) <= countLimit else {
            throw WireError("aggregates: \(field) = \(value) is beyond any site's size (limit \(countLimit))")
        }
        return value
    }

    func decoded() throws -> FeatureAggregates {
        let decodedFeatures = try features.map { wire -> FeatureAggregate in
            switch wire.kind {
            case .numeric(let numeric):
                // A noised release's Σx² can be negative (noise on Σ(u² − ½)); finite is what is checked.
                guard numeric.sum.isFinite, numeric.sumOfSquares.isFinite else {
                    throw WireError("aggregates of \(wire.name): sums must be finite")
                }
                return .numeric(NumericAggregate(name: wire.name,
                                                 count: try Self.joined(numeric.count, numeric.signedCount, field: "\(wire.name) count"),
                                                 missingCount: try Self.joined(wire.missing, wire.signedMissing, field: "\(wire.name) missing"),
                                                 sum: numeric.sum,
                                                 sumOfSquares: numeric.sumOfSquares))
            case .categorical(let categorical):
                let counts = categorical.signedLevelCounts.isEmpty
                    ? categorical.levelCounts.map { Int(clamping: $0) } : categorical.signedLevelCounts.map { Int($0) }
                guard counts.allSatisfy({ abs($0) <= Self.countLimit }) else {
                    throw WireError("aggregates of \(wire.name): a level count beyond any site's size (limit \(Self.countLimit))")
                }
                guard categorical.levels.count == counts.count else {
                    throw WireError("aggregates of \(wire.name): \(categorical.levels.count) levels but \(counts.count) counts")
                }
                return .categorical(CategoricalAggregate(name: wire.name, levels: categorical.levels, levelCounts: counts,
                                                         missingCount: try Self.joined(wire.missing, wire.signedMissing,
                                                                                       field: "\(wire.name) missing")))
            case nil:
                throw WireError("aggregates of \(wire.name): neither numeric nor categorical")
            }
        }
        return FeatureAggregates(rowCount: try Self.joined(rows, signedRows, field: "rows"), features: decodedFeatures)
    }
}

extension Cohort_V1_AuditHead {
    init(_ head: AuditHead) {
        self.init()
        events = UInt64(clamping: head.events)
        hash = head.head
    }

    /// The head as the site sent it. Its shape is checked where the round records it
    /// (`RoundRecord.recordAuditHead`), which drops a malformed one with the reason.
    var decoded: AuditHead { AuditHead(events: Int(clamping: events), head: hash) }
}

extension Cohort_V1_Refusal {
    /// What a site sends when it does not answer `taskID` of `runID` because of `error`: the
    /// error's message as the reason, and, for a refusal the site's worker logged
    /// (`SiteError.auditHead`), the audit head after its `task_refused` line.
    init(refusing taskID: String, of runID: String, because error: any Error) {
        self.init()
        self.runID = runID
        self.taskID = taskID
        let siteError = error as? SiteError
        reasons = [siteError?.message ?? "\(error)"]
        if let head = siteError?.auditHead { auditHead = Cohort_V1_AuditHead(head) }
    }

    /// The audit head the site sent with the refusal, nil from a site without it. Its shape is
    /// checked where it is recorded (`RoundRecord.recordAuditHead`, `RunRefusal`).
    var sentAuditHead: AuditHead? { hasAuditHead ? auditHead.decoded : nil }
}

extension Cohort_V1_SiteRefusal {
    /// A refusal as the run's watchers see it, with its audit head when it has one.
    init(_ refusal: RunRefusal) {
        self.init()
        siteID = refusal.site
        round = UInt32(clamping: refusal.round)
        reasons = refusal.reasons
        if let head = refusal.auditHead { auditHead = Cohort_V1_AuditHead(head) }
    }

    /// The refusal's audit head as a line of the run folder's `site-audit-anchors.jsonl`, nil
    /// without one. The orchestrator sends only heads that can anchor a log; one that cannot
    /// (an orchestrator of another version) is left out here too.
    public func auditAnchor(run: String) -> AuditAnchor? {
        guard hasAuditHead else { return nil }
        return RunRefusal(site: siteID, round: Int(round), reasons: reasons, sentHead: auditHead.decoded).auditAnchor(run: run)
    }
}

extension Cohort_V1_EvaluationResult {
    init(_ evaluation: SiteEvaluation?, runID: String, round: Int, taskID: String) {
        self.init()
        self.runID = runID
        self.round = UInt32(round)
        self.taskID = taskID
        guard let evaluation else {
            suppressed = true
            return
        }
        records = UInt64(evaluation.records)
        lossSum = evaluation.lossSum
        correct = UInt64(evaluation.correct)
        if let histogram = evaluation.histogram {
            histogramNegatives = histogram.negativeCounts.map(UInt64.init)
            histogramPositives = histogram.positiveCounts.map(UInt64.init)
            histogramScoreSums = histogram.scoreSums
            invalidScores = UInt64(histogram.invalidScoreCount)
        }
        if let confusion = evaluation.confusion {
            classes = UInt32(confusion.classCount)
            self.confusion = confusion.counts.flatMap { $0.map(UInt64.init) }
        }
        if let head = evaluation.auditHead { auditHead = Cohort_V1_AuditHead(head) }
    }

    /// The evaluation, or nil when the site suppressed it.
    func decoded() throws -> SiteEvaluation? {
        if suppressed { return nil }
        guard lossSum.isFinite, correct <= records else { throw WireError("evaluation: loss_sum or correct out of range") }
        var histogram: ScoreHistogram?
        if !histogramPositives.isEmpty || !histogramNegatives.isEmpty {
            guard let made = ScoreHistogram(
                positiveCounts: histogramPositives.map { Int(clamping: $0) },
                negativeCounts: histogramNegatives.map { Int(clamping: $0) },
                scoreSums: histogramScoreSums, invalidScoreCount: Int(clamping: invalidScores))
            else { throw WireError("evaluation: the score histogram's vectors differ in length or hold invalid values") }
            histogram = made
        }
        var matrix: MulticlassConfusionMatrix?
        if classes > 0 {
            guard let made = MulticlassConfusionMatrix(classCount: Int(classes), rowMajorCounts: confusion.map { Int(clamping: $0) })
            else { throw WireError("evaluation: confusion must hold \(classes)² counts") }
            matrix = made
        }
        return SiteEvaluation(records: Int(clamping: records), lossSum: lossSum, correct: Int(clamping: correct),
                              histogram: histogram, confusion: matrix, auditHead: hasAuditHead ? auditHead.decoded : nil)
    }
}

extension Cohort_V1_RoundRecord {
    init(_ record: RoundRecord, delta: Double) throws {
        self.init()
        round = UInt32(record.round)
        sitesSampled = UInt32(record.sampled.count)
        sitesAnswered = UInt32(record.answered.count)
        trainingLoss = record.trainingLoss ?? .nan
        // The fields every record has, then each other metric the plan asked for that has a
        // value, by plan name (undefined ones, with their reasons, are in record_json).
        var named: [(String, Double?)] = [("auroc", record.auroc), ("accuracy", record.accuracy),
                                          ("loss", record.evaluationLoss), ("macro_f1", record.macroF1)]
        let sent = Set(named.compactMap { $0.1 == nil ? nil : $0.0 })
        named += record.metrics.sorted { $0.key < $1.key }.filter { !sent.contains($0.key) }.map { ($0.key, $0.value) }
        metrics = named.compactMap { name, value in value.map { value in .with { $0.name = name; $0.value = value } } }
        epsilons = record.epsilon.sorted { $0.key < $1.key }.map { site, epsilon in
            .with { $0.siteID = site; $0.epsilon = epsilon }
        }
        self.delta = delta
        durationMs = UInt64(max(0, record.seconds * 1000))
        bytesReceived = UInt64(record.bytesReceived)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        recordJson = String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    /// The full record carried in `record_json`.
    public func decoded() throws -> RoundRecord {
        do {
            return try JSONDecoder().decode(RoundRecord.self, from: Data(recordJson.utf8))
        } catch {
            throw WireError("round \(round): record_json is not a round record: \(error)")
        }
    }
}

extension RunState {
    /// The state as cohort.proto writes it.
    var wire: Cohort_V1_RunState {
        switch self {
        case .queued: .queued
        case .running: .running
        case .completed: .completed
        case .cancelled: .cancelled
        case .failed: .failed
        }
    }

    /// A wire state as the store records it (an unspecified one counts as failed).
    init(_ wire: Cohort_V1_RunState) {
        switch wire {
        case .queued: self = .queued
        case .running: self = .running
        case .completed: self = .completed
        case .cancelled: self = .cancelled
        case .failed, .unspecified, .UNRECOGNIZED: self = .failed
        }
    }
}
