import CohortData
import CohortTensor
import Foundation
@testable import CohortLearn

/// The package root, found from this file.
let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        url = url.deletingLastPathComponent()
    }
    return url
}()

/// A bundled dataset, split and standardised.
func bundledDataset(_ name: String, seed: UInt64 = 0, fractions: SplitFractions = .standard) throws -> Dataset {
    try Dataset(contentsOf: packageRoot.appendingPathComponent("Datasets/\(name).csv"), fractions: fractions, seed: seed)
}

extension LabeledData {
    init(_ matrix: DesignMatrix) { self.init(features: matrix.features, labels: matrix.labels) }
}

/// A network from a YAML definition string.
func makeNetwork(_ yaml: String, inputs: Int, outputs: Int, seed: UInt64 = 1) throws -> Network {
    let definition = try ModelDefinition.parse(yaml: yaml, source: "test")
    var generator = SeededGenerator(seed: seed)
    return Network(definition: definition, inputWidth: inputs, outputWidth: outputs, using: &generator)
}

/// Random features and labels for `classes` classes.
func randomBatch(rows: Int, width: Int, classes: Int, seed: UInt64) -> LabeledData {
    var generator = SeededGenerator(seed: seed)
    let features = Tensor<Float>.randomNormal([rows, width], using: &generator)
    let labels = (0..<rows).map { _ in Int.random(in: 0..<classes, using: &generator) }
    return LabeledData(features: features, labels: labels)
}
