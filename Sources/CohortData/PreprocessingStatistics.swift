import CohortTensor

/// What turns validated rows into a model's input, learned from the training split only:
/// per numeric feature the mean and population standard deviation (and the mean as the
/// value for missing cells), per categorical feature its levels (and its most frequent
/// level for missing cells).
///
/// Learning from the training rows alone keeps the validation and test rows unseen, as
/// their scores assume. The statistics are `Codable` so that a model file can carry them
/// and score new data the same way.
///
/// `fit(_:)` is `init(schema:aggregates:)` applied to `FeatureAggregates(table)`: a
/// federation that merges sites' aggregates gets the statistics of the pooled rows.
public struct PreprocessingStatistics: Sendable, Equatable, Hashable, Codable {
    /// The number of rows the statistics were learned from.
    public var rowCount: Int
    /// One entry per active feature of the schema, in schema order.
    public var features: [FeatureStatistics]

    /// Statistics with the given parts.
    public init(rowCount: Int, features: [FeatureStatistics]) {
        self.rowCount = rowCount
        self.features = features
    }

    /// The names of the design matrix's columns, e.g. `age`, `blood_type=A`, `blood_type=B`.
    public var encodedFeatureNames: [String] { features.flatMap(\.encodedNames) }

    /// The number of design-matrix columns.
    public var encodedFeatureCount: Int { encodedFeatureNames.count }

    /// Learns the statistics from every row of `table` (normally the training split).
    ///
    /// - Throws: `DataError` `.noValues` when a feature has no value in these rows.
    public static func fit(_ table: ValidatedTable) throws -> PreprocessingStatistics {
        try PreprocessingStatistics(schema: table.schema, aggregates: FeatureAggregates(table))
    }

    /// The statistics that `aggregates` imply under `schema`'s missing-value policies:
    /// mean x̄ = Σx/n, standard deviation σ = √(Σx²/n − x̄²), imputed value x̄ for numeric
    /// features; levels and the most frequent level for categorical ones.
    ///
    /// - Throws: `DataError` `.statisticsMismatch` when the aggregates are not of the
    ///   schema's active features, `.noValues` when a feature has no value at all.
    public init(schema: Schema, aggregates: FeatureAggregates) throws {
        let features = try Self.statistics(
            schema: schema, aggregates: aggregates,
            numeric: { feature, numeric in
                guard let mean = numeric.mean, let variance = numeric.populationVariance else {
                    throw DataError(
                        .noValues, "no row of the \(aggregates.rowCount) has a value, so its mean cannot be learned",
                        columnName: feature.name)
                }
                return NumericStatistics(
                    name: feature.name, mean: mean, standardDeviation: variance.squareRoot(),
                    imputedValue: feature.missing == .impute ? mean : nil)
            },
            categorical: { feature, levels, categorical in
                var imputed: String?
                if feature.missing == .impute {
                    guard let level = categorical.mostFrequentLevel else {
                        throw DataError(
                            .noValues, "no row of the \(aggregates.rowCount) has a value, so no level can be imputed",
                            columnName: feature.name)
                    }
                    imputed = level
                }
                return CategoricalStatistics(name: feature.name, levels: levels, imputedLevel: imputed)
            })
        self.init(rowCount: aggregates.rowCount, features: features)
    }

    /// Each active feature of `schema` with its aggregate, in order, made into statistics by
    /// `numeric` or `categorical` (which the exact and the noised statistics supply).
    ///
    /// - Throws: `DataError` `.statisticsMismatch` when the aggregates do not describe the
    ///   schema's active features (count, or a feature's name, kind or levels), at the first
    ///   feature that differs; what the closures throw.
    static func statistics(
        schema: Schema, aggregates: FeatureAggregates,
        numeric: (FeatureColumn, NumericAggregate) throws -> NumericStatistics,
        categorical: (FeatureColumn, [String], CategoricalAggregate) throws -> CategoricalStatistics
    ) throws -> [FeatureStatistics] {
        let active = schema.activeFeatures
        guard active.count == aggregates.features.count else {
            throw DataError(
                .statisticsMismatch,
                "the aggregates describe \(aggregates.features.count) features, the schema has \(active.count) active ones")
        }
        return try zip(active, aggregates.features).map { feature, aggregate in
            switch (feature.kind, aggregate) {
            case (.numeric, .numeric(let aggregate)) where aggregate.name == feature.name:
                return .numeric(try numeric(feature, aggregate))
            case (.categorical(let levels), .categorical(let aggregate))
                where aggregate.name == feature.name && aggregate.levels == levels:
                return .categorical(try categorical(feature, levels, aggregate))
            default:
                throw DataError(
                    .statisticsMismatch,
                    "the aggregate \"\(aggregate.name)\" does not match the schema's feature (its name, kind or levels differ)",
                    columnName: feature.name)
            }
        }
    }

    /// The design matrix of `table`: one row per table row, numeric features imputed then
    /// standardised, categorical features imputed then one-hot encoded, as `Float`.
    ///
    /// - Throws: `DataError` `.statisticsMismatch` when the statistics are not of the
    ///   table's active features, `.missingValue` (naming file, line and column) when a cell
    ///   is missing and these statistics hold no value to impute.
    public func apply(to table: ValidatedTable) throws -> DesignMatrix {
        let active = table.schema.activeFeatures
        guard active.count == features.count else {
            throw DataError(
                .statisticsMismatch,
                "the statistics describe \(features.count) features, the table's schema has \(active.count) active ones",
                file: table.fileName)
        }
        let rows = table.rowCount
        let width = encodedFeatureCount
        var scalars = [Float](repeating: 0, count: rows * width)
        var offset = 0
        try scalars.withUnsafeMutableBufferPointer { matrix in
            for (index, (statistics, values)) in zip(features, table.columns).enumerated() {
                switch (statistics, values) {
                case (.numeric(let numeric), .numeric(let numbers)) where numeric.name == active[index].name:
                    for row in 0..<rows {
                        guard let z = numeric.standardize(numbers[row]) else {
                            throw missingWithoutImputation(table, row: row, feature: numeric.name)
                        }
                        matrix[row * width + offset] = Float(z)
                    }
                    offset += 1
                case (.categorical(let categorical), .categorical(let levels))
                    where categorical.name == active[index].name && categorical.levels == active[index].kind.levels:
                    let imputed = categorical.imputedLevel.flatMap { categorical.levels.firstIndex(of: $0) }
                    for row in 0..<rows {
                        guard let level = levels[row] >= 0 ? levels[row] : imputed else {
                            throw missingWithoutImputation(table, row: row, feature: categorical.name)
                        }
                        matrix[row * width + offset + level] = 1
                    }
                    offset += categorical.levels.count
                default:
                    throw DataError(
                        .statisticsMismatch,
                        "the statistics' feature \"\(statistics.name)\" does not match the table's (its name, kind or levels differ)",
                        file: table.fileName, columnName: active[index].name)
                }
            }
        }
        return DesignMatrix(
            features: Tensor(shape: [rows, width], scalars: scalars), labels: table.labels,
            featureNames: encodedFeatureNames, classes: table.schema.label.classes, lines: table.lines)
    }

    private func missingWithoutImputation(_ table: ValidatedTable, row: Int, feature: String) -> DataError {
        DataError(
            .missingValue, "the value is missing, and the preprocessing statistics hold no value to impute (the policy was \"reject\" when they were learned)",
            file: table.fileName, line: table.lines[row], columnName: feature)
    }
}
