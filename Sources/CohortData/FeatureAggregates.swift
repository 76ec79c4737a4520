/// Sufficient statistics of one numeric feature: enough to recover its mean and variance,
/// and additive, so sites can pool them by summing.
public struct NumericAggregate: Sendable, Equatable, Hashable, Codable {
    /// The feature's name.
    public var name: String
    /// Rows with a value.
    public var count: Int
    /// Rows without one.
    public var missingCount: Int
    /// Σx over the rows with a value.
    public var sum: Double
    /// Σx² over the rows with a value.
    public var sumOfSquares: Double

    /// An aggregate with the given totals.
    public init(name: String, count: Int = 0, missingCount: Int = 0, sum: Double = 0, sumOfSquares: Double = 0) {
        self.name = name
        self.count = count
        self.missingCount = missingCount
        self.sum = sum
        self.sumOfSquares = sumOfSquares
    }

    /// x̄ = Σx / n, or nil when no row has a value.
    public var mean: Double? { count > 0 ? sum / Double(count) : nil }

    /// The population variance Σx²/n − x̄², floored at 0; nil when no row has a value.
    ///
    /// This textbook form is what additive aggregates allow; it loses precision when the
    /// mean is large against the spread (Chan, Golub and LeVeque, "Algorithms for
    /// computing the sample variance", The American Statistician 37(3), 1983), so a
    /// variance below 10⁻¹² · x̄² is taken to be rounding error and reported as 0.
    public var populationVariance: Double? {
        guard let mean else { return nil }
        let variance = sumOfSquares / Double(count) - mean * mean
        return variance <= 1e-12 * mean * mean ? 0 : variance
    }
}

/// Sufficient statistics of one categorical feature: how many rows have each level.
public struct CategoricalAggregate: Sendable, Equatable, Hashable, Codable {
    /// The feature's name.
    public var name: String
    /// The feature's levels, in schema order.
    public var levels: [String]
    /// Rows with each level, indexed like `levels`.
    public var levelCounts: [Int]
    /// Rows without a value.
    public var missingCount: Int

    /// An aggregate with the given counts (zero counts when `levelCounts` is omitted).
    public init(name: String, levels: [String], levelCounts: [Int]? = nil, missingCount: Int = 0) {
        precondition(levelCounts == nil || levelCounts?.count == levels.count,
                     "\(levelCounts?.count ?? 0) counts for \(levels.count) levels of \(name)")
        self.name = name
        self.levels = levels
        self.levelCounts = levelCounts ?? [Int](repeating: 0, count: levels.count)
        self.missingCount = missingCount
    }

    /// The level with the highest count, the earlier level winning a tie; nil when no row
    /// has a value.
    public var mostFrequentLevel: String? {
        var best: Int?
        for (index, count) in levelCounts.enumerated() where count > 0 {
            if best.map({ count > levelCounts[$0] }) ?? true { best = index }
        }
        return best.map { levels[$0] }
    }
}

/// The sufficient statistics of one feature, numeric or categorical.
///
/// In JSON it is the underlying aggregate's object with a `"kind"` field added.
public enum FeatureAggregate: Sendable, Equatable, Hashable, Codable {
    /// Count, sum and sum of squares.
    case numeric(NumericAggregate)
    /// Level counts.
    case categorical(CategoricalAggregate)

    /// The feature's name.
    public var name: String {
        switch self {
        case .numeric(let aggregate): aggregate.name
        case .categorical(let aggregate): aggregate.name
        }
    }

    private enum CodingKeys: String, CodingKey { case kind }
    private enum Kind: String, Codable { case numeric, categorical }

    /// Decodes the aggregate chosen by `"kind"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .numeric: self = .numeric(try NumericAggregate(from: decoder))
        case .categorical: self = .categorical(try CategoricalAggregate(from: decoder))
        }
    }

    /// Encodes the aggregate's fields and `"kind"`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .numeric(let aggregate):
            try container.encode(Kind.numeric, forKey: .kind)
            try aggregate.encode(to: encoder)
        case .categorical(let aggregate):
            try container.encode(Kind.categorical, forKey: .kind)
            try aggregate.encode(to: encoder)
        }
    }
}

/// The mergeable sufficient statistics of a set of rows: per numeric feature the count, Σx
/// and Σx²; per categorical feature the count of each level; and the number of rows.
///
/// Aggregates of disjoint row sets merge by adding (`merge(_:)`), so a federation can pool
/// them across sites, and `PreprocessingStatistics.fit(_:)` is computed from exactly these
/// numbers: statistics from merged aggregates equal statistics fitted on the union, up to the
/// order of floating-point additions (exactly, when the sums are exact, as for integers).
///
/// These are aggregates, not private releases: pooling them reveals each site's totals
/// unless they are noised (`noisedRelease(of:noiseMultiplier:noise:)`) or securely summed first.
public struct FeatureAggregates: Sendable, Equatable, Hashable, Codable {
    /// The number of rows aggregated.
    public var rowCount: Int
    /// One aggregate per active feature of the schema, in schema order.
    public var features: [FeatureAggregate]

    /// Aggregates with the given parts.
    public init(rowCount: Int, features: [FeatureAggregate]) {
        self.rowCount = rowCount
        self.features = features
    }

    /// Zero aggregates for the schema's active features: the identity of `merge(_:)`.
    public init(schema: Schema) {
        rowCount = 0
        features = schema.activeFeatures.map { feature in
            switch feature.kind {
            case .numeric: .numeric(NumericAggregate(name: feature.name))
            case .categorical(let levels): .categorical(CategoricalAggregate(name: feature.name, levels: levels))
            }
        }
    }

    /// The aggregates of every row of `table`.
    public init(_ table: ValidatedTable) {
        self.init(schema: table.schema)
        rowCount = table.rowCount
        for (index, values) in table.columns.enumerated() {
            switch (features[index], values) {
            case (.numeric(var aggregate), .numeric(let numbers)):
                for value in numbers {
                    if value.isNaN {
                        aggregate.missingCount += 1
                    } else {
                        aggregate.count += 1
                        aggregate.sum += value
                        aggregate.sumOfSquares += value * value
                    }
                }
                features[index] = .numeric(aggregate)
            case (.categorical(var aggregate), .categorical(let levels)):
                for level in levels {
                    if level < 0 { aggregate.missingCount += 1 } else { aggregate.levelCounts[level] += 1 }
                }
                features[index] = .categorical(aggregate)
            default:
                preconditionFailure("column \(index) of \(table.fileName) does not match its schema's kind")
            }
        }
    }

    /// Adds `other`'s counts and sums to these.
    ///
    /// - Throws: `DataError` `.statisticsMismatch` when the two do not describe the same
    ///   features (names, kinds and levels, in order); nothing is changed then.
    public mutating func merge(_ other: FeatureAggregates) throws {
        guard features.count == other.features.count else {
            throw DataError(.statisticsMismatch, "cannot merge aggregates of \(features.count) features with aggregates of \(other.features.count)")
        }
        var merged = features
        for index in features.indices {
            switch (features[index], other.features[index]) {
            case (.numeric(var mine), .numeric(let theirs)) where mine.name == theirs.name:
                mine.count += theirs.count
                mine.missingCount += theirs.missingCount
                mine.sum += theirs.sum
                mine.sumOfSquares += theirs.sumOfSquares
                merged[index] = .numeric(mine)
            case (.categorical(var mine), .categorical(let theirs)) where mine.name == theirs.name && mine.levels == theirs.levels:
                for level in mine.levelCounts.indices { mine.levelCounts[level] += theirs.levelCounts[level] }
                mine.missingCount += theirs.missingCount
                merged[index] = .categorical(mine)
            default:
                throw DataError(
                    .statisticsMismatch,
                    "cannot merge aggregates: feature \(index + 1) is \"\(features[index].name)\" in one and \"\(other.features[index].name)\" in the other, or their kinds or levels differ")
            }
        }
        features = merged
        rowCount += other.rowCount
    }

    /// These aggregates merged with `other`.
    public func merging(_ other: FeatureAggregates) throws -> FeatureAggregates {
        var result = self
        try result.merge(other)
        return result
    }
}
