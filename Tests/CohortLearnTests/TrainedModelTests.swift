import CohortData
import CohortTensor
import Foundation
import Testing
@testable import CohortLearn

@Suite("Model files: the file alone scores new data", .serialized)
struct TrainedModelTests {
    /// Trains a small model on a bundled dataset and wraps it as a model file's content.
    static func trainedModel(dataset name: String, yaml: String, epochs: Int = 5) throws -> (TrainedModel, Dataset) {
        let dataset = try bundledDataset(name)
        let loss = Loss.forClassification(classCount: dataset.classes.count)
        let outputs = loss.outputWidth(classCount: dataset.classes.count)
        var network = try makeNetwork(yaml, inputs: dataset.statistics.encodedFeatureCount, outputs: outputs)
        _ = try Trainer(options: TrainingOptions(epochs: epochs, blasThreads: .unchanged))
            .train(&network, loss: loss, training: LabeledData(dataset.train))
        let model = TrainedModel(
            network: network,
            task: .init(loss: loss, classes: dataset.classes, inputWidth: network.inputWidth, outputWidth: outputs,
                        featureNames: dataset.featureNames),
            schema: dataset.schema, preprocessing: dataset.statistics,
            provenance: .init(createdBy: "test", trainingData: name, trainingRows: dataset.train.rowCount))
        return (model, dataset)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a written model reads back with the same weights, schema, statistics and predictions")
    func roundTrip() throws {
        let (model, dataset) = try Self.trainedModel(dataset: "maternal_health_risk", yaml: "name: m\nlayers: [{dense: 8}, gelu, {dense: output}]\n")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.safetensors")
        try model.write(to: url)
        #expect(try model.fileData() == Data(contentsOf: url), "fileData() is the file write(to:) writes")
        let read = try TrainedModel.read(from: url)
        #expect(read.network.parameters == model.network.parameters)
        #expect(read.schema == model.schema)
        #expect(read.preprocessing == model.preprocessing)
        #expect(read.task == model.task)
        #expect(read.provenance == model.provenance)
        #expect(read.probabilities(dataset.test.features) == model.probabilities(dataset.test.features))
        // Scoring the raw CSV through the file's own schema and statistics gives the same
        // features the training pipeline built.
        let table = try CSVTable(contentsOf: packageRoot.appendingPathComponent("Datasets/maternal_health_risk.csv"))
        #expect(try read.encode(table).rowCount == table.rowCount)
    }

    @Test("a file whose tensors do not fit its model definition is refused with the tensor named")
    func mismatchRefused() throws {
        let (model, _) = try Self.trainedModel(dataset: "breast_cancer_wdbc", yaml: "name: m\nlayers: [{dense: 4}, relu, {dense: output}]\n", epochs: 1)
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The model's own metadata, but the second layer's weight has the wrong shape.
        let url = directory.appendingPathComponent("broken.safetensors")
        try model.write(to: url)
        let metadata = try SafetensorsFile.read(from: url).metadata
        var broken = NamedTensors()
        for (name, tensor) in zip(model.network.parameters.names, model.network.parameters.tensors) {
            broken.append(name == "dense1.weight" ? Tensor<Float>.zeros([3, 1]) : tensor, named: name)
        }
        try SafetensorsFile.write(broken, metadata: metadata, to: url)
        let error = try #require(throws: ModelFileError.self) { try TrainedModel.read(from: url) }
        #expect(error.message.contains("dense1.weight") && error.message.contains(url.path))

        try SafetensorsFile.write(model.network.parameters, metadata: [:], to: url)
        let plain = try #require(throws: ModelFileError.self) { try TrainedModel.read(from: url) }
        #expect(plain.code == .invalidMetadata)
    }

    @Test("Python with safetensors and numpy scores a CSV from the model file alone, as Cohort does",
          arguments: [
            ("breast_cancer_wdbc", "name: m\nlayers: [{dense: 16}, relu, {dense: 8}, tanh, {dense: output}]\n"),
            ("fetal_health", "name: m\nlayers: [{dense: 12}, gelu, {dense: output}]\n"),
          ])
    func pythonPredictionsMatch(dataset name: String, yaml: String) throws {
        try SafetensorsTests.PythonInterop.ready.get()
        let (model, _) = try Self.trainedModel(dataset: name, yaml: yaml)
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try model.write(to: url)
        let csv = packageRoot.appendingPathComponent("Datasets/\(name).csv")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/cohort_predict.py")
        let result = try SafetensorsTests.PythonInterop.run([script.path, url.path, csv.path], timeout: 300)
        try #require(result.status == 0, "cohort_predict.py failed: \(result.standardError)")
        let python = try JSONDecoder().decode([[Double]].self, from: Data(result.standardOutput.utf8))
        let cohort = try TrainedModel.read(from: url)
        let probabilities = cohort.probabilities(try cohort.encode(CSVTable(contentsOf: csv)).features)
        try #require(python.count == probabilities.shape[0])
        var worst = 0.0
        for i in 0..<python.count {
            for j in 0..<python[i].count { worst = max(worst, abs(python[i][j] - Double(probabilities[i, j]))) }
        }
        #expect(worst < 1e-5, "largest probability difference \(worst)")
    }
}
