extension PreprocessingStatistics {
    /// The smallest standard deviation a noised release may give a numeric feature, as a
    /// fraction of its range's width: a noised variance below (0.01·(hi − lo))² — noise can
    /// make it tiny or negative — is raised to it, so standardising never divides by
    /// (almost) zero.
    public static let noisedStandardDeviationFloor = 0.01

    /// The statistics implied by merged noised releases (`FeatureAggregates.noisedRelease`),
    /// cleaned up with the schema's public ranges. Every step is post-processing of the
    /// differentially private release, so it costs no privacy (Dwork and Roth, "The
    /// Algorithmic Foundations of Differential Privacy", 2014, Proposition 2.1):
    ///
    /// - a numeric feature's present count n is taken as at least 1;
    /// - its mean x̄ = Σx / n is clamped into [lo, hi] (the mean of clamped values lies there);
    /// - its variance Σx²/n − x̄² (with the unclamped x̄) is clamped into
    ///   [(0.01·(hi − lo))², ((hi − lo)/2)²]: no distribution on [lo, hi] has a larger
    ///   variance (Popoviciu, "Sur les équations algébriques ayant toutes leurs racines
    ///   réelles", Mathematica 9, 1935), and the floor is `noisedStandardDeviationFloor`;
    /// - a categorical feature keeps every level of the schema (they are public: the model's
    ///   inputs never depend on the data), whatever its noised count, even ≤ 0; the imputed
    ///   level is the one with the highest noised count, the earlier level winning a tie, so
    ///   a feature always has one.
    ///
    /// `rowCount` is the noised row count, at least 0.
    ///
    /// - Throws: `DataError` `.statisticsMismatch` when the aggregates are not of the schema's
    ///   active features, `.invalidSchema` naming a numeric feature without a range.
    public init(schema: Schema, noisedAggregates aggregates: FeatureAggregates) throws {
        let features = try Self.statistics(
            schema: schema, aggregates: aggregates,
            numeric: { feature, numeric in
                guard let range = feature.range else {
                    throw DataError(.invalidSchema, "noised statistics need the feature's public range", columnName: feature.name)
                }
                let n = Double(max(numeric.count, 1))
                let rawMean = numeric.sum / n
                let width = range.upperBound - range.lowerBound
                let floor = Self.noisedStandardDeviationFloor * width
                let variance = min(max(numeric.sumOfSquares / n - rawMean * rawMean, floor * floor), width * width / 4)
                let mean = min(max(rawMean, range.lowerBound), range.upperBound)
                return NumericStatistics(
                    name: feature.name, mean: mean, standardDeviation: variance.squareRoot(),
                    imputedValue: feature.missing == .impute ? mean : nil)
            },
            categorical: { feature, levels, categorical in
                var best = 0
                for (index, count) in categorical.levelCounts.enumerated() where count > categorical.levelCounts[best] {
                    best = index
                }
                return CategoricalStatistics(
                    name: feature.name, levels: levels, imputedLevel: feature.missing == .impute ? levels[best] : nil)
            })
        self.init(rowCount: max(aggregates.rowCount, 0), features: features)
    }
}
