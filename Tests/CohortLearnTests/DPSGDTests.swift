import Foundation
import CohortTensor
import Testing
@testable import CohortLearn

@Suite("DP-SGD per-example clipping")
struct DPSGDTests {
    /// Example i's own gradient, by back-propagating a batch holding only that example.
    static func perExampleGradient(_ network: Network, loss: Loss, data: LabeledData, row: Int) -> [Float] {
        var workspace = NetworkWorkspace(for: network, capacity: 1)
        workspace.loadBatch(from: data.features, rows: [row][...])
        var generator = SeededGenerator(seed: 0)
        network.forward(&workspace, training: false, using: &generator)
        let last = workspace.values.count - 1
        _ = loss.evaluate(logits: workspace.values[last], labels: [data.labels[row]][...], gradient: &workspace.gradients[last])
        var gradient = network.parameters.zerosLike()
        network.backward(&workspace, into: &gradient, scale: 1)
        return gradient.flattened()
    }

    static let models = [
        ("name: t\nlayers: [{dense: output}]\n", Loss.binaryCrossEntropy, 2, 1),
        ("name: t\nlayers: [{dense: 8}, relu, {dense: 8}, tanh, {dense: output}]\n", Loss.softmaxCrossEntropy, 3, 3),
        ("name: t\nlayers: [{dense: 16}, gelu, {dense: output}]\n", Loss.binaryCrossEntropy, 2, 1),
    ]

    @Test("the clipped sum equals clipping each naive per-example gradient and summing",
          arguments: [0, 1, 2], [Float(0.05), 0.5, 100])
    func clippedSumMatchesNaive(model: Int, clip: Float) throws {
        let (yaml, loss, classes, outputs) = Self.models[model]
        let network = try makeNetwork(yaml, inputs: 7, outputs: outputs, seed: UInt64(model))
        let data = randomBatch(rows: 13, width: 7, classes: classes, seed: UInt64(10 + model))
        var expected = [Double](repeating: 0, count: network.parameters.scalarCount)
        var naiveClipped = 0
        for row in 0..<data.count {
            let g = Self.perExampleGradient(network, loss: loss, data: data, row: row)
            let norm = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let factor = min(1, Double(clip) / norm)
            if norm > Double(clip) { naiveClipped += 1 }
            for i in g.indices { expected[i] += Double(g[i]) * factor }
        }
        var workspace = NetworkWorkspace(for: network, capacity: data.count)
        workspace.loadBatch(from: data.features, rows: Array(0..<data.count)[...])
        var generator = SeededGenerator(seed: 0)
        network.forward(&workspace, training: false, using: &generator)
        let last = workspace.values.count - 1
        _ = loss.evaluate(logits: workspace.values[last], labels: data.labels[...], gradient: &workspace.gradients[last])
        var gradient = network.parameters.zerosLike()
        let clipped = network.backwardClipped(&workspace, into: &gradient, clipNorm: clip)
        let actual = gradient.flattened()
        let scale = expected.map(abs).max() ?? 1
        for i in expected.indices {
            #expect(abs(Double(actual[i]) - expected[i]) <= 1e-5 * max(scale, 1), "coordinate \(i)")
        }
        #expect(clipped == naiveClipped)
    }

    @Test("no single example's contribution exceeds the clip bound")
    func contributionBounded() throws {
        let network = try makeNetwork("name: t\nlayers: [{dense: 8}, relu, {dense: output}]\n", inputs: 5, outputs: 3, seed: 7)
        // Large features make large gradients: every one must be cut to C.
        var data = randomBatch(rows: 20, width: 5, classes: 3, seed: 8)
        data.features = data.features.scaled(by: 50)
        let clip: Float = 0.3
        for row in 0..<data.count {
            var workspace = NetworkWorkspace(for: network, capacity: 1)
            workspace.loadBatch(from: data.features, rows: [row][...])
            var generator = SeededGenerator(seed: 0)
            network.forward(&workspace, training: false, using: &generator)
            let last = workspace.values.count - 1
            _ = Loss.softmaxCrossEntropy.evaluate(
                logits: workspace.values[last], labels: [data.labels[row]][...], gradient: &workspace.gradients[last])
            var gradient = network.parameters.zerosLike()
            network.backwardClipped(&workspace, into: &gradient, clipNorm: clip)
            #expect(gradient.l2Norm <= clip * (1 + 1e-5), "row \(row): \(gradient.l2Norm)")
        }
    }

    @Test("Poisson sampling selects each row with probability q, in ascending order")
    func poissonSampling() {
        let sampler = PoissonSampler(rowCount: 1000, rate: 0.05)
        var generator = SeededGenerator(seed: 3)
        var batch = [Int]()
        var counts = [Int](repeating: 0, count: 1000)
        var sizes = [Int]()
        for _ in 0..<2000 {
            sampler.sample(into: &batch, using: &generator)
            #expect(batch == batch.sorted() && Set(batch).count == batch.count)
            for row in batch { counts[row] += 1 }
            sizes.append(batch.count)
        }
        // Each row: Binomial(2000, 0.05), mean 100, sd 9.7; batch size: mean 50, sd 6.9.
        let meanSize = Double(sizes.reduce(0, +)) / 2000
        #expect(abs(meanSize - 50) < 0.6)
        let variance = sizes.reduce(0.0) { $0 + (Double($1) - meanSize) * (Double($1) - meanSize) } / 2000
        #expect(abs(variance - 47.5) < 6)
        #expect(counts.allSatisfy { $0 > 50 && $0 < 150 })
        #expect(counts.first! > 0 && counts.last! > 0)
    }

    @Test("DP-SGD training with seeded noise is reproducible and learns")
    func privateTrainingLearns() throws {
        let dataset = try bundledDataset("breast_cancer_wdbc")
        var network = try makeNetwork("name: t\nlayers: [{dense: output}]\n", inputs: 30, outputs: 1, seed: 1)
        let start = network
        let options = TrainingOptions(epochs: 5, batchSize: 32, learningRate: 0.5, optimizer: .sgd(),
                                      privacy: DPSGDOptions(clipNorm: 1, noiseMultiplier: 1), blasThreads: .unchanged)
        let result = try Trainer(options: options).train(
            &network, loss: .binaryCrossEntropy, training: LabeledData(dataset.train), noise: .seeded(5))
        var again = start
        _ = try Trainer(options: options).train(
            &again, loss: .binaryCrossEntropy, training: LabeledData(dataset.train), noise: .seeded(5))
        #expect(again.parameters == network.parameters)
        #expect(result.noiseWasSecure == false)
        #expect(abs((result.samplingRate ?? 0) - 32.0 / Double(dataset.train.rowCount)) < 1e-12)
        let evaluation = Evaluation.of(network, loss: .binaryCrossEntropy, on: LabeledData(dataset.test))
        #expect(evaluation.accuracy > 0.9)
    }

    @Test("DP-SGD with the noise drawn ahead on another thread trains bit for bit as with the noise drawn in the step")
    func prefetchedNoiseChangesNothing() throws {
        let dataset = try bundledDataset("breast_cancer_wdbc")
        let start = try makeNetwork("name: t\nlayers: [{dense: 16}, relu, {dense: output}]\n", inputs: 30, outputs: 1, seed: 2)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let before = BLASRuntime.threads
        defer { BLASRuntime.threads = before }
        var results = [NamedTensors]()
        // One BLAS thread leaves a core for the drawing thread; all cores leave none.
        for threads in [1, cores] {
            var network = start
            let options = TrainingOptions(epochs: 3, batchSize: 32, learningRate: 0.5, optimizer: .sgd(),
                                          privacy: DPSGDOptions(clipNorm: 1, noiseMultiplier: 1.1), blasThreads: .fixed(threads))
            _ = try Trainer(options: options).train(
                &network, loss: .binaryCrossEntropy, training: LabeledData(dataset.train), noise: .seeded(8))
            results.append(network.parameters)
        }
        #expect(results[0] == results[1])
        #expect(results[0] != start.parameters)
    }

    @Test("DP-SGD without a noise generator is refused")
    func noiseRequired() throws {
        var network = try makeNetwork("name: t\nlayers: [{dense: output}]\n", inputs: 3, outputs: 1)
        let data = randomBatch(rows: 10, width: 3, classes: 2, seed: 1)
        let options = TrainingOptions(epochs: 1, privacy: DPSGDOptions(clipNorm: 1, noiseMultiplier: 1))
        #expect(throws: TrainingError.self) {
            try Trainer(options: options).train(&network, loss: .binaryCrossEntropy, training: data)
        }
    }
}
