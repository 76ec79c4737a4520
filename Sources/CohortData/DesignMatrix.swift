import CohortTensor

/// A model's input: the encoded features of some rows and their labels.
///
/// `features` has shape [rows, encoded features]; column j is `featureNames[j]`. Row i's
/// label is `labels[i]`, an index into `classes`.
public struct DesignMatrix: Sendable, Equatable {
    /// The encoded features, shape [rowCount, featureNames.count], row-major.
    public var features: Tensor<Float>
    /// Each row's class index into `classes`.
    public var labels: [Int]
    /// The name of each feature column, e.g. `age` or `blood_type=A`.
    public var featureNames: [String]
    /// The label values, in class-index order.
    public var classes: [String]
    /// Each row's 1-based line in its source file, for tracing a row back.
    public var lines: [Int]

    /// A design matrix from its parts, which must agree in size.
    public init(features: Tensor<Float>, labels: [Int], featureNames: [String], classes: [String], lines: [Int]) {
        precondition(features.rank == 2, "features must be a matrix, shape is \(features.shape)")
        precondition(features.shape[0] == labels.count, "\(features.shape[0]) feature rows for \(labels.count) labels")
        precondition(features.shape[1] == featureNames.count, "\(features.shape[1]) feature columns for \(featureNames.count) names")
        precondition(lines.count == labels.count, "\(lines.count) line numbers for \(labels.count) labels")
        precondition(labels.allSatisfy { $0 >= 0 && $0 < classes.count }, "a label is outside 0..<\(classes.count)")
        self.features = features
        self.labels = labels
        self.featureNames = featureNames
        self.classes = classes
        self.lines = lines
    }

    /// The number of rows.
    public var rowCount: Int { labels.count }

    /// How many rows have each class, indexed like `classes`.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes.count)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The labels as a one-hot matrix of shape [rowCount, classes.count].
    public var oneHotLabels: Tensor<Float> {
        var scalars = [Float](repeating: 0, count: rowCount * classes.count)
        for (row, label) in labels.enumerated() { scalars[row * classes.count + label] = 1 }
        return Tensor(shape: [rowCount, classes.count], scalars: scalars)
    }
}
