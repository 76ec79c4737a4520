/// What a CSV file means to a model: which column is the label and what its classes are,
/// and, for every other column, whether it is a numeric or categorical feature, what a
/// missing cell means, and whether it is used at all.
///
/// A schema is usually inferred once (`Schema.infer(from:label:)`), written next to the
/// data as pretty JSON with sorted keys, read and corrected by a person, and then passed
/// back: every later load validates the file against it (`validate(_:)`), so a site's data
/// either means what the federation agreed or is refused with the file, line and column.
///
/// Features are matched to CSV columns by name, so the column order of a file does not
/// matter; the design matrix follows the order of `features`.
public struct Schema: Sendable, Equatable, Hashable, Codable {
    /// The label column and its classes.
    public var label: LabelColumn
    /// Every other column of the table, in design-matrix order.
    public var features: [FeatureColumn]

    /// A schema.
    public init(label: LabelColumn, features: [FeatureColumn]) {
        self.label = label
        self.features = features
    }

    /// The features the model sees: those not marked `ignore`.
    public var activeFeatures: [FeatureColumn] { features.filter { !$0.ignore } }

    /// The names of the design matrix's columns, in order: a numeric feature's name, and
    /// `name=level` for each level of a categorical one (e.g. `blood_type=A`).
    public var encodedFeatureNames: [String] { features.flatMap(\.encodedNames) }

    /// The number of design-matrix columns.
    public var encodedFeatureCount: Int { encodedFeatureNames.count }

    /// The feature called `name`, or nil.
    public func feature(named name: String) -> FeatureColumn? {
        features.first { $0.name == name }
    }

    /// The position in `features` of the feature called `name`, or nil.
    public func featureIndex(named name: String) -> Int? {
        features.firstIndex { $0.name == name }
    }

    /// Checks that the schema is consistent on its own: a named label with distinct
    /// classes, distinct feature names other than the label's, distinct levels, at least
    /// one, for each categorical feature, and ranges only on numeric features, finite with
    /// lo < hi.
    ///
    /// - Parameter file: the schema's file, for the error message.
    public func check(file: String? = nil) throws {
        let source = file ?? "schema"
        func fail(_ detail: String) -> DataError { DataError(.invalidSchema, detail, file: source) }
        if label.name.isEmpty { throw fail("the label column has no name") }
        if label.classes.isEmpty { throw fail("the label \"\(label.name)\" lists no classes") }
        if let repeated = Schema.firstRepeat(in: label.classes) {
            throw fail("the label \"\(label.name)\" lists class \"\(repeated)\" twice")
        }
        if let repeated = Schema.firstRepeat(in: features.map(\.name)) {
            throw fail("feature \"\(repeated)\" appears twice")
        }
        for feature in features {
            if feature.name.isEmpty { throw fail("a feature has no name") }
            if feature.name == label.name {
                throw fail("\"\(feature.name)\" is both the label and a feature")
            }
            if let range = feature.range {
                if case .categorical = feature.kind { throw fail("categorical feature \"\(feature.name)\" has a range; only numeric features do") }
                if !range.lowerBound.isFinite || !range.upperBound.isFinite || range.lowerBound == range.upperBound {
                    throw fail("feature \"\(feature.name)\": a range is [lo, hi] with finite lo < hi, got \(range)")
                }
            }
            if case .categorical(let levels) = feature.kind {
                if levels.isEmpty { throw fail("categorical feature \"\(feature.name)\" lists no levels") }
                if let repeated = Schema.firstRepeat(in: levels) {
                    throw fail("categorical feature \"\(feature.name)\" lists level \"\(repeated)\" twice")
                }
            }
        }
    }

    /// Values in the order a schema lists them: by numeric value when every value is a
    /// number (so `"2"` comes before `"10"`), otherwise by their text.
    public static func sortedValues<Values: Sequence<String>>(_ values: Values) -> [String] {
        let distinct = Array(Set(values))
        var numbers: [(value: Double, text: String)] = []
        numbers.reserveCapacity(distinct.count)
        for text in distinct {
            let parsed = Array(text.utf8).withUnsafeBufferPointer { DecimalParser.parse($0) }
            guard let value = parsed else { return distinct.sorted() }
            numbers.append((value, text))
        }
        return numbers.sorted { $0.value != $1.value ? $0.value < $1.value : $0.text < $1.text }.map(\.text)
    }

    private static func firstRepeat(in values: [String]) -> String? {
        var seen = Set<String>()
        for value in values where !seen.insert(value).inserted { return value }
        return nil
    }
}
