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

    /// A workload's data and freshly initialised network.
    struct Setup {
        var data: LabeledData
        var network: Network
        var loss: Loss

        init(_ workload: Workload) throws {
            var generator = SeededGenerator(seed: 7)
            let features = Tensor<Float>.randomNormal([workload.rows, workload.inputs], using: &generator)
            let labels = (0..<workload.rows).map { _ in Int.random(in: 0..<workload.classes, using: &generator) }
            data = LabeledData(features: features, labels: labels)
            let definition = try ModelDefinition.parse(yaml: workload.yaml, source: workload.id)
            // Softmax cross-entropy over the stated outputs (W3 has two), as the peers ran it.
            loss = workload.classes == 2 && workload.yaml.contains("output") ? .binaryCrossEntropy : .softmaxCrossEntropy
            let outputs = loss == .binaryCrossEntropy ? 1 : workload.classes
            network = Network(definition: definition, inputWidth: workload.inputs, outputWidth: outputs, using: &generator)
        }

        /// Trains `epochs` epochs (plain SGD, or DP-SGD with clip 1, σ 1 and secure noise)
        /// with the trainer's automatic BLAS thread choice.
        mutating func train(_ workload: Workload, epochs: Int, privacy: Bool) throws -> TrainingResult {
            let options = TrainingOptions(
                epochs: epochs, batchSize: workload.batchSize, learningRate: workload.learningRate, optimizer: .sgd(),
                privacy: privacy ? DPSGDOptions(clipNorm: 1, noiseMultiplier: 1) : nil, blasThreads: .automatic)
            return try Trainer(options: options).train(
                &network, loss: loss, training: data, noise: privacy ? try GaussianNoise.secure() : nil)
        }
    }

    /// Median samples/s over `epochs` epochs (after one warm-up epoch) of plain SGD or DP-SGD.
    func run(_ workload: Workload, privacy: Bool) throws -> Result {
        var setup = try Setup(workload)
        let result = try setup.train(workload, epochs: epochs + 1, privacy: privacy)
        let rates = result.history.dropFirst().map(\.samplesPerSecond).sorted()
        return Result(samplesPerSecond: rates[rates.count / 2], threads: result.blasThreads, noiseSecure: result.noiseWasSecure)
    }

    struct Paired {
        /// Plain samples/s over DP-SGD samples/s, one per pair of epochs, sorted.
        var slowdowns: [Double]
        var medianSlowdown: Double { slowdowns[slowdowns.count / 2] }
        var privateSamplesPerSecond: Double
        var privateThreads: [Int]
        var plainThreads: [Int]
    }

    /// W5 on a shared machine: plain and DP-SGD epochs take turns on the same network
    /// (after one warm-up epoch of each), so that a burst of load from elsewhere slows both
    /// alike; each pair gives one slowdown, and the median pair is reported.
    func runPaired(_ workload: Workload, pairs: Int) throws -> Paired {
        var setup = try Setup(workload)
        _ = try setup.train(workload, epochs: 1, privacy: false)
        _ = try setup.train(workload, epochs: 1, privacy: true)
        var slowdowns = [Double](), privateRates = [Double](), privateThreads = [Int](), plainThreads = [Int]()
        for pair in 0..<pairs {
            // Alternate which goes first, so neither always follows the other.
            var results = [Bool: TrainingResult]()
            for privacy in pair % 2 == 0 ? [false, true] : [true, false] {
                results[privacy] = try setup.train(workload, epochs: 1, privacy: privacy)
            }
            let plain = results[false]!, dp = results[true]!
            slowdowns.append(plain.history[0].samplesPerSecond / dp.history[0].samplesPerSecond)
            privateRates.append(dp.history[0].samplesPerSecond)
            privateThreads.append(dp.blasThreads)
            plainThreads.append(plain.blasThreads)
        }
        return Paired(slowdowns: slowdowns.sorted(), privateSamplesPerSecond: privateRates.sorted()[pairs / 2],
                      privateThreads: privateThreads, plainThreads: plainThreads)
    }
}
