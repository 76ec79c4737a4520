import CohortTensor
import Foundation

/// A CSV file made ready for training: validated against a schema, split into stratified
/// train/validation/test parts, and encoded with preprocessing statistics learned on the
/// training part alone.
///
/// ```swift
/// let data = try Dataset(contentsOf: csv, schema: Schema(contentsOf: Schema.companionURL(forCSV: csv)), seed: 42)
/// // data.train.features: Tensor<Float> [rows, data.statistics.encodedFeatureCount]
/// ```
public struct Dataset: Sendable {
    /// The schema the file was validated against.
    public let schema: Schema
    /// The statistics learned on the training rows and applied to all three parts.
    public let statistics: PreprocessingStatistics
    /// The training part.
    public let train: DesignMatrix
    /// The validation part (no rows when its fraction is 0).
    public let validation: DesignMatrix
    /// The test part (no rows when its fraction is 0).
    public let test: DesignMatrix

    /// Splits and encodes a validated table, drawing the split from `generator`.
    ///
    /// - Throws: `DataError` from splitting (`.invalidFractions`, `.emptySplit`) and from
    ///   learning the statistics (`.noValues`).
    public init(
        table: ValidatedTable, fractions: SplitFractions = .standard,
        using generator: inout some RandomNumberGenerator
    ) throws {
        let parts = try table.split(fractions, using: &generator)
        let statistics = try PreprocessingStatistics.fit(parts.train)
        self.schema = table.schema
        self.statistics = statistics
        self.train = try statistics.apply(to: parts.train)
        self.validation = try statistics.apply(to: parts.validation)
        self.test = try statistics.apply(to: parts.test)
    }

    /// Validates `table` against `schema`, then splits it with a `SeededGenerator` started
    /// from `seed` and encodes it.
    public init(table: CSVTable, schema: Schema, fractions: SplitFractions = .standard, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        try self.init(table: schema.validate(table), fractions: fractions, using: &generator)
    }

    /// Reads the CSV file at `csv` and loads it with `schema`.
    public init(contentsOf csv: URL, schema: Schema, fractions: SplitFractions = .standard, seed: UInt64) throws {
        try self.init(table: CSVTable(contentsOf: csv), schema: schema, fractions: fractions, seed: seed)
    }

    /// Reads the CSV file at `csv` and the schema file next to it (`NAME.schema.json`,
    /// see `Schema.companionURL(forCSV:)`), and loads the data.
    public init(contentsOf csv: URL, fractions: SplitFractions = .standard, seed: UInt64) throws {
        let schema = try Schema(contentsOf: Schema.companionURL(forCSV: csv))
        try self.init(contentsOf: csv, schema: schema, fractions: fractions, seed: seed)
    }

    /// Reads the CSV file at `csv`, infers its schema with `label` as the label column
    /// (`Schema.infer(from:label:)`), and loads the data.
    public init(
        contentsOf csv: URL, inferringSchemaWithLabel label: String,
        fractions: SplitFractions = .standard, seed: UInt64
    ) throws {
        let table = try CSVTable(contentsOf: csv)
        try self.init(table: table, schema: Schema.infer(from: table, label: label), fractions: fractions, seed: seed)
    }

    /// The names of the design matrices' columns.
    public var featureNames: [String] { statistics.encodedFeatureNames }

    /// The label values, in class-index order.
    public var classes: [String] { schema.label.classes }
}
