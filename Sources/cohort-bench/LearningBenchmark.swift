import CohortLearn
import CohortTensor
import Foundation

/// W2–W5 of BENCHMARKS.md: training throughput of the real `Trainer` on synthetic data of
/// the stated shapes, plain and with DP-SGD (secure noise, Poisson sampling).
struct LearningBenchmark {
    struct Workload {
        var id: String
        var title: String
        var yaml: String
        var inputs: Int
        var classes: Int
        var rows: Int
        var batchSize: Int
        var learningRate: Float
    }

    static let w2 = Workload(id: "W2", title: "logistic regression d=30, batch 64", yaml: "name: lr\nlayers: [{dense: output}]\n",
                             inputs: 30, classes: 2, rows: 50_000, batchSize: 64, learningRate: 0.05)
    static let w3 = Workload(id: "W3", title: "MLP 30→64→64→2 ReLU, batch 64",
                             yaml: "name: mlp\nlayers: [{dense: 64}, relu, {dense: 64}, relu, {dense: 2}]\n",
                             inputs: 30, classes: 2, rows: 50_000, batchSize: 64, learningRate: 0.05)
    static let w4 = Workload(id: "W4", title: "MLP 784→256→128→10 ReLU, batch 128",
                             yaml: "name: mlp\nlayers: [{dense: 256}, relu, {dense: 128}, relu, {dense: output}]\n",
                             inputs: 784, classes: 10, rows: 60_000, batchSize: 128, learningRate: 0.05)

    let epochs: Int

    struct Result {
        var samplesPerSecond: Double
        var threads: Int
        var noiseSecure: Bool?
    }

    /// Median samples/s over `epochs` epochs (after one warm-up epoch) of plain SGD or DP-SGD.
    func run(_ workload: Workload, privacy: Bool) throws -> Result {
        var generator = SeededGenerator(seed: 7)
        let features = Tensor<Float>.randomNormal([workload.rows, workload.inputs], using: &generator)
        let labels = (0..<workload.rows).map { _ in Int.random(in: 0..<workload.classes, using: &generator) }
        let data = LabeledData(features: features, labels: labels)
        let definition = try ModelDefinition.parse(yaml: workload.yaml, source: workload.id)
        // Softmax cross-entropy over the stated outputs (W3 has two), as the peers ran it.
        let loss: Loss = workload.classes == 2 && workload.yaml.contains("output") ? .binaryCrossEntropy : .softmaxCrossEntropy
        let outputs = loss == .binaryCrossEntropy ? 1 : workload.classes
        var network = Network(definition: definition, inputWidth: workload.inputs, outputWidth: outputs, using: &generator)
        let options = TrainingOptions(
            epochs: epochs + 1, batchSize: workload.batchSize, learningRate: workload.learningRate, optimizer: .sgd(),
            privacy: privacy ? DPSGDOptions(clipNorm: 1, noiseMultiplier: 1) : nil, blasThreads: .automatic)
        let result = try Trainer(options: options).train(
            &network, loss: loss, training: data, noise: privacy ? try GaussianNoise.secure() : nil)
        let rates = result.history.dropFirst().map(\.samplesPerSecond).sorted()
        return Result(samplesPerSecond: rates[rates.count / 2], threads: result.blasThreads, noiseSecure: result.noiseWasSecure)
    }
}
