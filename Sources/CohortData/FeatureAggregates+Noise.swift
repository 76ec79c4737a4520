import CohortTensor

/// The differentially private release of a site's preprocessing aggregates (a plan's
/// `privacy.noise_preprocessing: true`): the Gaussian mechanism on a vector of bounded
/// per-record contributions, for add-or-remove-one-record neighbours.
///
/// **The vector.** Every numeric feature needs a public `range` [lo, hi] in the schema. A
/// value x is clamped into it and centred and scaled, u = (clamp(x) − c) / h with
/// c = (lo + hi)/2 and h = (hi − lo)/2, so u ∈ [−1, 1]. One record contributes
///
/// - 1 to the row count R;
/// - per numeric feature j: 1 to its missing count M_j when the value is missing, otherwise
///   u to S_j = Σu and u² − ½ to T_j = Σ(u² − ½);
/// - per categorical feature: 1 to the count of its level (nothing when missing: the
///   missing count is R − Σ levels, computed afterwards).
///
/// **Sensitivity.** Adding or removing one record adds or subtracts its contribution v, so
/// the L2 sensitivity (Dwork and Roth, "The Algorithmic Foundations of Differential
/// Privacy", 2014, Definition 3.8) is the largest ‖v‖₂. A numeric feature adds 1 (missing)
/// or u² + (u² − ½)² = u⁴ + ¼ ≤ 5/4 (present), a categorical feature at most 1, the row
/// count 1:
///
///     Δ₂² = 1 + (5/4)·(numeric features) + (categorical features).
///
/// Releasing M_j rather than the present count, and u² − ½ rather than u², is what keeps a
/// numeric feature at 5/4 instead of 3 (1 + u² + u⁴ for a present count, Σu and Σu²).
///
/// **Noise and accounting.** Each coordinate gets independent N(0, (σ_pre·Δ₂)²): the
/// Gaussian mechanism with noise multiplier σ_pre (Dwork and Roth 2014, Theorem A.1), whose
/// Rényi DP is α/(2σ_pre²) at every order α (Mironov, "Rényi Differential Privacy", CSF
/// 2017, Proposition 7). A site charges it to its ledger as one step of the subsampled
/// Gaussian with q = 1 and σ_pre, which is the same curve.
///
/// **Post-processing** (Dwork and Roth 2014, Proposition 2.1: it costs no privacy). The
/// noised vector is mapped back to the aggregates' form: counts rounded to integers (they
/// may be negative; the merged totals are cleaned up by
/// `PreprocessingStatistics(schema:noisedAggregates:)`), present count n_j = R − M_j,
/// Σx = c·n_j + h·S_j and Σx² = c²·n_j + 2ch·S_j + h²·(T_j + n_j/2).
extension FeatureAggregates {
    /// Δ₂ = √(1 + 5/4 · numeric + categorical) over the schema's active features: the L2
    /// sensitivity of `releaseVector(of:)` to adding or removing one record (derivation above).
    public static func l2Sensitivity(of schema: Schema) -> Double {
        var squared = 1.0
        for feature in schema.activeFeatures {
            switch feature.kind {
            case .numeric: squared += 1.25
            case .categorical: squared += 1
            }
        }
        return squared.squareRoot()
    }

    /// The active numeric features of `schema` without a range, which a noised release
    /// cannot bound.
    public static func unboundedFeatures(of schema: Schema) -> [String] {
        schema.activeFeatures.filter { $0.kind == .numeric && $0.range == nil }.map(\.name)
    }

    /// The mechanism's input: the sum over `table`'s rows of each row's contribution, in the
    /// order R, then per active feature in schema order (M_j, S_j, T_j) for a numeric one and
    /// one count per level for a categorical one. Values are clamped into their ranges first.
    ///
    /// - Throws: `DataError` `.invalidSchema` naming the first numeric feature without a range.
    public static func releaseVector(of table: ValidatedTable) throws -> [Double] {
        let active = table.schema.activeFeatures
        if let unbounded = unboundedFeatures(of: table.schema).first {
            throw DataError(
                .invalidSchema,
                "a noised preprocessing release needs a public \"range\": [lo, hi] for every numeric feature; this one has none",
                columnName: unbounded)
        }
        var vector = [Double(table.rowCount)]
        for (feature, values) in zip(active, table.columns) {
            switch (feature.kind, values) {
            case (.numeric, .numeric(let numbers)):
                guard let range = feature.range else { preconditionFailure("checked above") }
                let centre = (range.lowerBound + range.upperBound) / 2
                let halfWidth = (range.upperBound - range.lowerBound) / 2
                var missing = 0.0, sum = 0.0, shiftedSquares = 0.0
                for value in numbers {
                    if value.isNaN {
                        missing += 1
                    } else {
                        let u = (min(max(value, range.lowerBound), range.upperBound) - centre) / halfWidth
                        sum += u
                        shiftedSquares += u * u - 0.5
                    }
                }
                vector += [missing, sum, shiftedSquares]
            case (.categorical(let levels), .categorical(let codes)):
                var counts = [Double](repeating: 0, count: levels.count)
                for code in codes where code >= 0 { counts[code] += 1 }
                vector += counts
            default:
                preconditionFailure("column \(feature.name) of \(table.fileName) does not match its schema's kind")
            }
        }
        return vector
    }

    /// The aggregates a (noised) release vector stands for under `schema`: the inverse of
    /// `releaseVector(of:)` up to clamping, with counts rounded to integers. Every active
    /// numeric feature of `schema` must have a range (as `releaseVector(of:)` requires).
    public init(releaseVector vector: [Double], schema: Schema) {
        let active = schema.activeFeatures
        let width = active.reduce(1) { $0 + ($1.kind == .numeric ? 3 : $1.kind.levels.count) }
        precondition(vector.count == width, "a release vector of \(vector.count) values for a schema that needs \(width)")
        let rows = Int(vector[0].rounded())
        var features = [FeatureAggregate]()
        var index = 1
        for feature in active {
            switch feature.kind {
            case .numeric:
                guard let range = feature.range else {
                    preconditionFailure("a release vector for numeric feature \(feature.name), which has no range")
                }
                let centre = (range.lowerBound + range.upperBound) / 2
                let halfWidth = (range.upperBound - range.lowerBound) / 2
                let missing = Int(vector[index].rounded())
                let count = rows - missing
                let n = Double(count)
                let sumU = vector[index + 1]
                let sumU2 = vector[index + 2] + n / 2
                features.append(.numeric(NumericAggregate(
                    name: feature.name, count: count, missingCount: missing,
                    sum: centre * n + halfWidth * sumU,
                    sumOfSquares: centre * centre * n + 2 * centre * halfWidth * sumU + halfWidth * halfWidth * sumU2)))
                index += 3
            case .categorical(let levels):
                let counts = vector[index..<index + levels.count].map { Int($0.rounded()) }
                features.append(.categorical(CategoricalAggregate(
                    name: feature.name, levels: levels, levelCounts: counts, missingCount: rows - counts.reduce(0, +))))
                index += levels.count
            }
        }
        self.init(rowCount: rows, features: features)
    }

    /// The Gaussian mechanism on `table`'s aggregates: `releaseVector(of:)` plus independent
    /// N(0, (σ·Δ₂)²) noise on every coordinate, σ = `noiseMultiplier` and Δ₂ =
    /// `l2Sensitivity(of:)`, mapped back by `init(releaseVector:schema:)`. It is
    /// (α, α/(2σ²))-RDP for add-or-remove-one record at every α (see the extension's notes).
    ///
    /// - Throws: `DataError` `.invalidSchema` naming a numeric feature without a range.
    public static func noisedRelease(of table: ValidatedTable, noiseMultiplier: Double, noise: GaussianNoise) throws -> FeatureAggregates {
        FeatureAggregates(
            releaseVector: try noisedReleaseVector(of: table, noiseMultiplier: noiseMultiplier, noise: noise), schema: table.schema)
    }

    /// `releaseVector(of:)` with N(0, (σ·Δ₂)²) added to every coordinate: the mechanism's
    /// output before it is mapped back to aggregates.
    public static func noisedReleaseVector(of table: ValidatedTable, noiseMultiplier: Double, noise: GaussianNoise) throws -> [Double] {
        precondition(noiseMultiplier > 0, "a noised release needs σ > 0, got \(noiseMultiplier)")
        var vector = try releaseVector(of: table)
        let standardDeviation = noiseMultiplier * l2Sensitivity(of: table.schema)
        for (index, draw) in noise.standardNormals(count: vector.count).enumerated() {
            vector[index] += standardDeviation * draw
        }
        return vector
    }
}
