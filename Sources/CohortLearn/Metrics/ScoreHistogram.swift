/// Counts of positive and negative examples in fine equal-width bins of predicted
/// probability: a summary of an evaluation set from which AUROC, average precision,
/// calibration and threshold metrics can be computed, and which merges across sites.
///
/// For federated evaluation: each site builds a histogram of its held-out scores, the
/// orchestrator `merge`s them, and the pooled metrics follow without any site sending a
/// per-patient score. (The counts are still a release about the data: per ARCHITECTURE.md
/// they are either noised and charged to the privacy ledger, or listed in the run record
/// as released outside ε.)
///
/// With B bins (default 1000), bin k holds scores in [k/B, (k+1)/B), the last bin also
/// holding 1, matching the bins of `Calibration`. Per bin it keeps the positives, the
/// negatives and the sum of the scores (so calibration bins have their exact mean).
/// Metrics treat the scores within one bin as tied; the error this causes in AUROC is at
/// most half the fraction of positive–negative pairs that share a bin, and is zero when
/// every score is a bin edge k/B.
///
/// Scores that are not probabilities in [0, 1] (NaN included) are not binned; they are
/// counted in `invalidScoreCount`, and while it is non-zero every metric is
/// `.undefined(reason: .invalidProbability)`.
public struct ScoreHistogram: Sendable, Hashable {
    /// The number of bins a histogram has unless told otherwise.
    public static let defaultBinCount = 1000

    /// The number of equal-width bins B on [0, 1].
    public let binCount: Int
    /// Positive examples per bin.
    public private(set) var positiveCounts: [Int]
    /// Negative examples per bin.
    public private(set) var negativeCounts: [Int]
    /// The sum of the scores of each bin's examples, both classes.
    public private(set) var scoreSums: [Double]
    /// Scores that were NaN, infinite or outside [0, 1], and so not binned.
    public private(set) var invalidScoreCount: Int

    /// An empty histogram with `binCount` bins.
    public init(binCount: Int = ScoreHistogram.defaultBinCount) {
        precondition(binCount >= 1, "a score histogram needs at least one bin, got \(binCount)")
        self.binCount = binCount
        positiveCounts = Array(repeating: 0, count: binCount)
        negativeCounts = Array(repeating: 0, count: binCount)
        scoreSums = Array(repeating: 0, count: binCount)
        invalidScoreCount = 0
    }

    /// A histogram from its counts, as another party computed them (federated evaluation);
    /// nil unless the three vectors have one entry per bin, the counts are ≥ 0 and the sums
    /// finite and ≥ 0.
    public init?(positiveCounts: [Int], negativeCounts: [Int], scoreSums: [Double], invalidScoreCount: Int) {
        let bins = positiveCounts.count
        guard bins >= 1, negativeCounts.count == bins, scoreSums.count == bins, invalidScoreCount >= 0,
              positiveCounts.allSatisfy({ $0 >= 0 }), negativeCounts.allSatisfy({ $0 >= 0 }),
              scoreSums.allSatisfy({ $0.isFinite && $0 >= 0 })
        else { return nil }
        self.binCount = bins
        self.positiveCounts = positiveCounts
        self.negativeCounts = negativeCounts
        self.scoreSums = scoreSums
        self.invalidScoreCount = invalidScoreCount
    }

    /// The histogram of `scores` with Boolean labels (`true` = positive).
    public init<Score: BinaryFloatingPoint>(
        scores: [Score], labels: [Bool], binCount: Int = ScoreHistogram.defaultBinCount
    ) {
        precondition(scores.count == labels.count, "\(scores.count) scores but \(labels.count) labels")
        self.init(binCount: binCount)
        for (score, label) in zip(scores, labels) {
            add(score: score, label: label)
        }
    }

    /// The histogram of `scores` with labels 0 (negative) or 1 (positive).
    public init<Score: BinaryFloatingPoint>(
        scores: [Score], labels: [Int], binCount: Int = ScoreHistogram.defaultBinCount
    ) {
        precondition(scores.count == labels.count, "\(scores.count) scores but \(labels.count) labels")
        self.init(binCount: binCount)
        for (score, label) in zip(scores, labels) {
            add(score: score, label: label)
        }
    }

    /// The histogram of a set of binary predictions.
    public init(_ predictions: BinaryPredictions, binCount: Int = ScoreHistogram.defaultBinCount) {
        self.init(scores: predictions.scores, labels: predictions.labels, binCount: binCount)
    }

    /// Adds one example: its predicted probability and whether it is positive.
    public mutating func add<Score: BinaryFloatingPoint>(score: Score, label: Bool) {
        let p = Double(score)
        guard Calibration.isProbability(p) else {
            invalidScoreCount += 1
            return
        }
        let k = Calibration.binIndex(of: p, binCount: binCount)
        if label { positiveCounts[k] += 1 } else { negativeCounts[k] += 1 }
        scoreSums[k] += p
    }

    /// Adds one example with a label 0 (negative) or 1 (positive).
    public mutating func add<Score: BinaryFloatingPoint>(score: Score, label: Int) {
        precondition(label == 0 || label == 1, "label is \(label); binary labels are 0 or 1")
        add(score: score, label: label == 1)
    }

    /// Adds the counts of `other`, which must have the same number of bins: afterwards this
    /// histogram is the one of both evaluation sets together.
    public mutating func merge(_ other: ScoreHistogram) {
        precondition(other.binCount == binCount,
                     "cannot merge a histogram of \(other.binCount) bins into one of \(binCount)")
        for k in 0..<binCount {
            positiveCounts[k] += other.positiveCounts[k]
            negativeCounts[k] += other.negativeCounts[k]
            scoreSums[k] += other.scoreSums[k]
        }
        invalidScoreCount += other.invalidScoreCount
    }

    /// The histogram of this evaluation set and `other` together.
    public func merging(_ other: ScoreHistogram) -> ScoreHistogram {
        var merged = self
        merged.merge(other)
        return merged
    }

    /// Binned examples, both classes.
    public var count: Int { positiveCount + negativeCount }
    /// Binned positive examples.
    public var positiveCount: Int { positiveCounts.reduce(0, +) }
    /// Binned negative examples.
    public var negativeCount: Int { negativeCounts.reduce(0, +) }

    /// The lower edge k/B of bin k.
    public func lowerEdge(ofBin k: Int) -> Double { Double(k) / Double(binCount) }
}

/// JSON with the bin count, the per-bin arrays and the invalid-score count, validated on decoding.
extension ScoreHistogram: Codable {
    private enum CodingKeys: String, CodingKey {
        case binCount, positiveCounts, negativeCounts, scoreSums, invalidScoreCount
    }

    /// Reads a histogram, typically a site's report, and rejects one that is inconsistent:
    /// fewer than one bin, arrays of the wrong length, negative counts, or a score sum that
    /// is not finite or lies outside what the bin's counts and edges allow.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func reject(_ key: CodingKeys, _ message: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: message)
        }
        let binCount = try container.decode(Int.self, forKey: .binCount)
        guard binCount >= 1 else { throw reject(.binCount, "binCount must be at least 1, got \(binCount)") }
        let positives = try container.decode([Int].self, forKey: .positiveCounts)
        let negatives = try container.decode([Int].self, forKey: .negativeCounts)
        let sums = try container.decode([Double].self, forKey: .scoreSums)
        let invalid = try container.decode(Int.self, forKey: .invalidScoreCount)
        for (key, length) in [(CodingKeys.positiveCounts, positives.count), (.negativeCounts, negatives.count),
                              (.scoreSums, sums.count)] where length != binCount {
            throw reject(key, "\(key.stringValue) has \(length) entries but binCount is \(binCount)")
        }
        guard invalid >= 0 else { throw reject(.invalidScoreCount, "invalidScoreCount is negative") }
        self.init(binCount: binCount)
        for k in 0..<binCount {
            guard positives[k] >= 0, negatives[k] >= 0 else {
                throw reject(.positiveCounts, "bin \(k) has a negative count")
            }
            let n = Double(positives[k] + negatives[k])
            let slack = 1e-6 * max(n, 1)
            guard sums[k].isFinite,
                  sums[k] >= lowerEdge(ofBin: k) * n - slack,
                  sums[k] <= lowerEdge(ofBin: k + 1) * n + slack
            else {
                throw reject(.scoreSums, "bin \(k)'s score sum \(sums[k]) does not fit \(Int(n)) scores in the bin")
            }
        }
        positiveCounts = positives
        negativeCounts = negatives
        scoreSums = sums
        invalidScoreCount = invalid
    }

    /// Writes the bin count, the three per-bin arrays and the invalid-score count.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(binCount, forKey: .binCount)
        try container.encode(positiveCounts, forKey: .positiveCounts)
        try container.encode(negativeCounts, forKey: .negativeCounts)
        try container.encode(scoreSums, forKey: .scoreSums)
        try container.encode(invalidScoreCount, forKey: .invalidScoreCount)
    }
}
