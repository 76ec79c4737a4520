/// One bar of a reliability diagram: the examples whose predicted probability falls in
/// [`lowerEdge`, `upperEdge`), with how many there are, the mean of their predictions and
/// the fraction that are positive (DeGroot & Fienberg, "The comparison and evaluation of
/// forecasters", The Statistician 1983; Niculescu-Mizil & Caruana, ICML 2005).
///
/// A well-calibrated model has `observedFrequency` ≈ `meanPredicted` in every bin. The
/// last bin of a set also holds probability exactly 1.
///
/// The stored fields are sums, so bins from different evaluation sets with the same edges
/// add exactly (`+`). JSON carries the sums and, for a plotting reader, the two means:
///
/// ```json
/// {"lowerEdge": 0.1, "upperEdge": 0.2, "count": 4, "positiveCount": 1, "scoreSum": 0.62,
///  "meanPredicted": {"value": 0.155}, "observedFrequency": {"value": 0.25}}
/// ```
///
/// Decoding reads the sums and recomputes the means.
public struct CalibrationBin: Sendable, Hashable {
    /// The smallest probability in the bin.
    public var lowerEdge: Double
    /// The bound above the bin: excluded, except 1 in the last bin.
    public var upperEdge: Double
    /// Examples in the bin.
    public var count: Int
    /// Positive examples in the bin.
    public var positiveCount: Int
    /// The sum of the bin's predicted probabilities.
    public var scoreSum: Double

    /// A bin with the given edges and sums; counts must satisfy 0 ≤ positives ≤ count.
    public init(lowerEdge: Double, upperEdge: Double, count: Int = 0, positiveCount: Int = 0, scoreSum: Double = 0) {
        precondition(count >= 0 && positiveCount >= 0 && positiveCount <= count,
                     "a calibration bin needs 0 <= positiveCount (\(positiveCount)) <= count (\(count))")
        self.lowerEdge = lowerEdge
        self.upperEdge = upperEdge
        self.count = count
        self.positiveCount = positiveCount
        self.scoreSum = scoreSum
    }

    /// Mean predicted probability e_b = (Σ p) / n_b (the bin's "confidence"); undefined
    /// for an empty bin.
    public var meanPredicted: MetricValue {
        count == 0 ? .undefined(reason: .emptyBin) : .value(scoreSum / Double(count))
    }

    /// Observed frequency o_b = positives / n_b (the bin's "accuracy"); undefined for an
    /// empty bin.
    public var observedFrequency: MetricValue {
        .ratio(positiveCount, count, else: .emptyBin)
    }

    /// |o_b − e_b|, or `nil` for an empty bin.
    var gap: Double? {
        guard count > 0 else { return nil }
        return abs(Double(positiveCount) / Double(count) - scoreSum / Double(count))
    }

    /// The pooled bin of two bins with the same edges.
    public static func + (lhs: CalibrationBin, rhs: CalibrationBin) -> CalibrationBin {
        precondition(lhs.lowerEdge == rhs.lowerEdge && lhs.upperEdge == rhs.upperEdge,
                     "only bins with the same edges add")
        return CalibrationBin(
            lowerEdge: lhs.lowerEdge, upperEdge: lhs.upperEdge,
            count: lhs.count + rhs.count, positiveCount: lhs.positiveCount + rhs.positiveCount,
            scoreSum: lhs.scoreSum + rhs.scoreSum)
    }
}

/// JSON with the sums and, for readers that plot, the two means (see the type).
extension CalibrationBin: Codable {
    private enum CodingKeys: String, CodingKey {
        case lowerEdge, upperEdge, count, positiveCount, scoreSum, meanPredicted, observedFrequency
    }

    /// Reads the edges and sums; rejects negative counts or more positives than examples.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let count = try container.decode(Int.self, forKey: .count)
        let positives = try container.decode(Int.self, forKey: .positiveCount)
        guard count >= 0, positives >= 0, positives <= count else {
            throw DecodingError.dataCorruptedError(
                forKey: .positiveCount, in: container,
                debugDescription: "a calibration bin needs 0 <= positiveCount (\(positives)) <= count (\(count))")
        }
        self.init(
            lowerEdge: try container.decode(Double.self, forKey: .lowerEdge),
            upperEdge: try container.decode(Double.self, forKey: .upperEdge),
            count: count, positiveCount: positives,
            scoreSum: try container.decode(Double.self, forKey: .scoreSum))
    }

    /// Writes the edges, the sums and the two means.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lowerEdge, forKey: .lowerEdge)
        try container.encode(upperEdge, forKey: .upperEdge)
        try container.encode(count, forKey: .count)
        try container.encode(positiveCount, forKey: .positiveCount)
        try container.encode(scoreSum, forKey: .scoreSum)
        try container.encode(meanPredicted, forKey: .meanPredicted)
        try container.encode(observedFrequency, forKey: .observedFrequency)
    }
}
