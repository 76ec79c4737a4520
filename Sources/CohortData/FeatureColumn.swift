/// What a feature column holds and so how it is encoded.
public enum FeatureKind: Sendable, Equatable, Hashable {
    /// Numbers, standardised to zero mean and unit variance on the training split.
    case numeric
    /// One of a fixed list of levels, one-hot encoded in this order (one input per level).
    case categorical(levels: [String])

    /// The levels of a categorical feature; empty for a numeric one.
    public var levels: [String] {
        switch self {
        case .numeric: []
        case .categorical(let levels): levels
        }
    }
}

/// What to do with an empty cell in a feature column.
public enum MissingValuePolicy: String, Sendable, Codable, Hashable, CaseIterable {
    /// Fill it with the training split's mean (numeric) or most frequent level (categorical).
    case impute
    /// Refuse the file: a missing cell is an error naming the file, line and column.
    case reject
}

/// One feature column of a schema: its name in the CSV header, its kind, its missing-value
/// policy, and whether it is left out of the model.
///
/// In JSON a column reads as a flat object, so it is easy to edit by hand:
///
/// ```json
/// { "ignore" : false, "kind" : "categorical", "levels" : [ "A", "AB", "B", "O" ],
///   "missing" : "impute", "name" : "blood_type" }
/// ```
///
/// `levels` is required for a categorical column and absent for a numeric one; `missing`
/// defaults to `impute` and `ignore` to `false` when they are left out. A numeric column may
/// give `"range" : [lo, hi]`, a public bound on its values (see `range`).
public struct FeatureColumn: Sendable, Equatable, Hashable, Codable {
    /// The column's name in the CSV header.
    public var name: String
    /// Numeric, or categorical with its levels.
    public var kind: FeatureKind
    /// What an empty cell means.
    public var missing: MissingValuePolicy
    /// When true the column is read past and not given to the model; the table may then
    /// lack it altogether.
    public var ignore: Bool
    /// Numeric columns only: a public bound [lo, hi] on the column's values, known before
    /// any data is seen (clinical plausibility, a device's scale), never read off the data.
    ///
    /// It is what makes a differentially private release of the preprocessing statistics
    /// possible (a plan's `privacy.noise_preprocessing`): each value is clamped into the range
    /// before it is aggregated, which bounds what one record adds to the released sums
    /// (`FeatureAggregates.noisedRelease`). The range lives in the schema, not the plan,
    /// because it describes the column as its kind and levels do: it travels with the schema
    /// to every site (a site that declares its own schema must agree on it, ranges included)
    /// and into the model file. Clamping applies only to that release: training and scoring
    /// use the values as they are (DP-SGD bounds each record's influence by clipping its
    /// gradient, and a model must score a value the same way wherever it runs).
    public var range: ClosedRange<Double>?

    /// A feature column.
    public init(name: String, kind: FeatureKind, missing: MissingValuePolicy = .impute, ignore: Bool = false,
                range: ClosedRange<Double>? = nil) {
        self.name = name
        self.kind = kind
        self.missing = missing
        self.ignore = ignore
        self.range = range
    }

    /// The names this column contributes to the design matrix: its own name when numeric,
    /// `name=level` for each level when categorical, none when ignored.
    public var encodedNames: [String] {
        if ignore { return [] }
        switch kind {
        case .numeric: return [name]
        case .categorical(let levels): return levels.map { "\(name)=\($0)" }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case name, kind, levels, missing, ignore, range
    }

    private enum KindName: String, Codable {
        case numeric, categorical
    }

    /// Decodes the flat JSON form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        switch try container.decode(KindName.self, forKey: .kind) {
        case .numeric:
            if container.contains(.levels) {
                throw DecodingError.dataCorruptedError(
                    forKey: .levels, in: container,
                    debugDescription: "feature \"\(name)\" is numeric but lists levels; make it categorical or drop \"levels\"")
            }
            kind = .numeric
        case .categorical:
            guard let levels = try container.decodeIfPresent([String].self, forKey: .levels) else {
                throw DecodingError.keyNotFound(CodingKeys.levels, DecodingError.Context(
                    codingPath: container.codingPath,
                    debugDescription: "feature \"\(name)\" is categorical, so it needs \"levels\": the list of its values"))
            }
            kind = .categorical(levels: levels)
        }
        missing = try container.decodeIfPresent(MissingValuePolicy.self, forKey: .missing) ?? .impute
        ignore = try container.decodeIfPresent(Bool.self, forKey: .ignore) ?? false
        range = nil
        if let bounds = try container.decodeIfPresent([Double].self, forKey: .range) {
            guard case .numeric = kind else {
                throw DecodingError.dataCorruptedError(
                    forKey: .range, in: container,
                    debugDescription: "feature \"\(name)\" is categorical; only a numeric feature has a range")
            }
            guard bounds.count == 2, bounds.allSatisfy(\.isFinite), bounds[0] < bounds[1] else {
                throw DecodingError.dataCorruptedError(
                    forKey: .range, in: container,
                    debugDescription: "feature \"\(name)\": a range is [lo, hi] with finite lo < hi, got \(bounds)")
            }
            range = bounds[0]...bounds[1]
        }
    }

    /// Encodes the flat JSON form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        switch kind {
        case .numeric:
            try container.encode(KindName.numeric, forKey: .kind)
        case .categorical(let levels):
            try container.encode(KindName.categorical, forKey: .kind)
            try container.encode(levels, forKey: .levels)
        }
        try container.encode(missing, forKey: .missing)
        try container.encode(ignore, forKey: .ignore)
        // Absent when not given, so schemas without ranges encode (and hash) as before.
        if let range { try container.encode([range.lowerBound, range.upperBound], forKey: .range) }
    }
}

/// The label column: its name and the classes it may hold.
public struct LabelColumn: Sendable, Equatable, Hashable, Codable {
    /// The column's name in the CSV header.
    public var name: String
    /// The label values as they are written in the file, in class-index order: a row whose
    /// label is `classes[i]` gets label `i`. Matching is by exact text (`"1"` is not `"1.0"`).
    public var classes: [String]

    /// A label column.
    public init(name: String, classes: [String]) {
        self.name = name
        self.classes = classes
    }
}
