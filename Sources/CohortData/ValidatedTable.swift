/// The values of one feature column after validation, one per row.
public enum FeatureValues: Sendable {
    /// Numbers; `nan` marks a missing cell (the reader never produces NaN from text).
    case numeric([Double])
    /// Indices into the feature's levels; `-1` marks a missing cell.
    case categorical([Int])

    /// The number of rows.
    public var count: Int {
        switch self {
        case .numeric(let values): values.count
        case .categorical(let values): values.count
        }
    }

    /// Whether the value in `row` is missing.
    public func isMissing(_ row: Int) -> Bool {
        switch self {
        case .numeric(let values): values[row].isNaN
        case .categorical(let values): values[row] < 0
        }
    }

    /// The values of the given rows, in the order given.
    func selecting(_ rows: [Int]) -> FeatureValues {
        switch self {
        case .numeric(let values): .numeric(rows.map { values[$0] })
        case .categorical(let values): .categorical(rows.map { values[$0] })
        }
    }
}

/// A table that has been checked against a schema: every active feature as typed values and
/// every label as a class index, with the source line of each row kept for messages.
///
/// Produced by `Schema.validate(_:)`; preprocessing statistics are learned from and applied
/// to validated tables, and splits divide them. Missing values are still missing here: they
/// are imputed only when statistics are applied, so that imputation is learned on the
/// training split alone.
public struct ValidatedTable: Sendable {
    /// The schema the table was checked against.
    public let schema: Schema
    /// The file the rows came from.
    public let fileName: String
    /// For each row, the 1-based line of the file it starts on.
    public private(set) var lines: [Int]
    /// For each row, its label as an index into `schema.label.classes`.
    public private(set) var labels: [Int]
    /// The values of each of `schema.activeFeatures`, in that order.
    public private(set) var columns: [FeatureValues]

    /// A validated table from its parts; every column must have one value per label.
    public init(schema: Schema, fileName: String, lines: [Int], labels: [Int], columns: [FeatureValues]) {
        precondition(lines.count == labels.count, "\(lines.count) line numbers for \(labels.count) labels")
        precondition(columns.count == schema.activeFeatures.count,
                     "\(columns.count) columns for \(schema.activeFeatures.count) active features")
        for column in columns {
            precondition(column.count == labels.count, "a column has \(column.count) values for \(labels.count) rows")
        }
        self.schema = schema
        self.fileName = fileName
        self.lines = lines
        self.labels = labels
        self.columns = columns
    }

    /// The number of rows.
    public var rowCount: Int { labels.count }

    /// How many rows have each class, indexed like `schema.label.classes`.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: schema.label.classes.count)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The given rows, in the order given.
    public func selecting(rows: [Int]) -> ValidatedTable {
        for row in rows { precondition(row >= 0 && row < rowCount, "row \(row) is outside 0..<\(rowCount)") }
        return ValidatedTable(
            schema: schema, fileName: fileName,
            lines: rows.map { lines[$0] }, labels: rows.map { labels[$0] },
            columns: columns.map { $0.selecting(rows) })
    }

    /// A stratified train/validation/test split of the rows (see `StratifiedSplit`).
    ///
    /// - Throws: `DataError` `.invalidFractions`, or `.emptySplit` when a split asked for a
    ///   share of the rows but got none.
    public func split(
        _ fractions: SplitFractions, using generator: inout some RandomNumberGenerator
    ) throws -> (train: ValidatedTable, validation: ValidatedTable, test: ValidatedTable) {
        let split = try StratifiedSplit(
            labels: labels, classCount: schema.label.classes.count, fractions: fractions,
            using: &generator, source: fileName)
        return (selecting(rows: split.train), selecting(rows: split.validation), selecting(rows: split.test))
    }
}
