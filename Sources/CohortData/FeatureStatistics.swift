/// How one numeric feature is imputed and standardised: z = (x − mean) / scale, where a
/// missing x is first replaced by `imputedValue`.
public struct NumericStatistics: Sendable, Equatable, Hashable, Codable {
    /// The feature's name.
    public var name: String
    /// The training split's mean of the feature.
    public var mean: Double
    /// The training split's population standard deviation √(Σx²/n − x̄²).
    public var standardDeviation: Double
    /// The divisor used: `standardDeviation`, or 1 when that is 0, so that a constant
    /// column becomes all zeros instead of dividing by zero.
    public var scale: Double
    /// The value a missing cell takes (the mean), or nil when the policy is `reject`.
    public var imputedValue: Double?

    /// Statistics with the given values; `scale` follows from `standardDeviation`.
    public init(name: String, mean: Double, standardDeviation: Double, imputedValue: Double?) {
        self.name = name
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.scale = standardDeviation > 0 ? standardDeviation : 1
        self.imputedValue = imputedValue
    }

    /// The standardised value of `x`, imputing when `x` is NaN (missing); nil when it is
    /// missing and there is no imputed value.
    public func standardize(_ x: Double) -> Double? {
        let value = x.isNaN ? imputedValue : x
        return value.map { ($0 - mean) / scale }
    }
}

/// How one categorical feature is imputed and one-hot encoded.
public struct CategoricalStatistics: Sendable, Equatable, Hashable, Codable {
    /// The feature's name.
    public var name: String
    /// The levels, in one-hot column order.
    public var levels: [String]
    /// The level a missing cell takes (the training split's most frequent), or nil when the
    /// policy is `reject`.
    public var imputedLevel: String?

    /// Statistics with the given values.
    public init(name: String, levels: [String], imputedLevel: String?) {
        self.name = name
        self.levels = levels
        self.imputedLevel = imputedLevel
    }
}

/// The preprocessing of one feature, numeric or categorical.
///
/// In JSON it is the underlying statistics' object with a `"kind"` field added.
public enum FeatureStatistics: Sendable, Equatable, Hashable, Codable {
    /// Standardisation and mean imputation.
    case numeric(NumericStatistics)
    /// One-hot levels and most-frequent imputation.
    case categorical(CategoricalStatistics)

    /// The feature's name.
    public var name: String {
        switch self {
        case .numeric(let statistics): statistics.name
        case .categorical(let statistics): statistics.name
        }
    }

    /// The design-matrix column names: `name`, or `name=level` per level.
    public var encodedNames: [String] {
        switch self {
        case .numeric(let statistics): [statistics.name]
        case .categorical(let statistics): statistics.levels.map { "\(statistics.name)=\($0)" }
        }
    }

    private enum CodingKeys: String, CodingKey { case kind }
    private enum Kind: String, Codable { case numeric, categorical }

    /// Decodes the statistics chosen by `"kind"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .numeric: self = .numeric(try NumericStatistics(from: decoder))
        case .categorical: self = .categorical(try CategoricalStatistics(from: decoder))
        }
    }

    /// Encodes the statistics' fields and `"kind"`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .numeric(let statistics):
            try container.encode(Kind.numeric, forKey: .kind)
            try statistics.encode(to: encoder)
        case .categorical(let statistics):
            try container.encode(Kind.categorical, forKey: .kind)
            try statistics.encode(to: encoder)
        }
    }
}
