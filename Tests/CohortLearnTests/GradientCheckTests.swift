import CohortTensor
import Testing
@testable import CohortLearn

/// Every layer and loss against central finite differences.
@Suite("Gradients against finite differences")
struct GradientCheckTests {
    /// Mean loss (+ L2 penalty) of `network` with `parameters` on `data`, dropout masks
    /// drawn from a generator seeded identically every time.
    static func meanLoss(_ network: Network, _ parameters: NamedTensors, loss: Loss, data: LabeledData) -> Double {
        var network = network
        network.parameters = parameters
        var workspace = NetworkWorkspace(for: network, capacity: data.count)
        workspace.loadBatch(from: data.features, rows: Array(0..<data.count)[...])
        var generator = SeededGenerator(seed: 99)
        network.forward(&workspace, training: true, using: &generator)
        var gradient = Tensor<Float>.zeros(workspace.output.shape)
        var total = loss.evaluate(logits: workspace.output, labels: data.labels[...], gradient: &gradient) / Double(data.count)
        for name in network.weightNames {
            let w = parameters[name]!
            total += 0.5 * network.definition.l2 * w.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
        }
        return total
    }

    /// The largest relative difference between the analytic gradient and central differences.
    static func check(_ yaml: String, loss: Loss, classes: Int, outputs: Int, seed: UInt64) throws -> Double {
        let network = try makeNetwork(yaml, inputs: 4, outputs: outputs, seed: seed)
        let data = randomBatch(rows: 6, width: 4, classes: classes, seed: seed + 100)
        var step = TrainingStep(network: network, capacity: data.count)
        var copy = network
        var generator = SeededGenerator(seed: 99)
        _ = step.computeGradient(&copy, loss: loss, data: data, rows: Array(0..<data.count)[...], generator: &generator)
        var analytic = step.gradient
        let lambda = Float(network.definition.l2)
        for name in network.weightNames {
            analytic[name] = analytic[name]! + network.parameters[name]!.scaled(by: lambda)
        }
        let flat = network.parameters.flattened()
        let analyticFlat = analytic.flattened()
        var worst = 0.0
        let h: Float = 1e-3
        for i in 0..<flat.count {
            var plus = flat, minus = flat
            plus[i] += h
            minus[i] -= h
            let numeric = (meanLoss(network, NamedTensors(flat: plus, like: network.parameters), loss: loss, data: data)
                - meanLoss(network, NamedTensors(flat: minus, like: network.parameters), loss: loss, data: data))
                / Double(2 * h)
            let error = abs(numeric - Double(analyticFlat[i])) / max(1e-2, abs(numeric) + abs(Double(analyticFlat[i])))
            worst = max(worst, error)
        }
        return worst
    }

    static let activations = ["relu", "tanh", "sigmoid", "gelu"]

    @Test("dense + each activation + binary cross-entropy", arguments: activations)
    func binaryCrossEntropy(activation: String) throws {
        let yaml = "name: t\nlayers: [{dense: 5}, \(activation), {dense: output}]\n"
        #expect(try Self.check(yaml, loss: .binaryCrossEntropy, classes: 2, outputs: 1, seed: 1) < 5e-3)
    }

    @Test("dense + each activation + softmax cross-entropy", arguments: activations)
    func softmaxCrossEntropy(activation: String) throws {
        let yaml = "name: t\nlayers: [{dense: 5}, \(activation), {dense: 3}, \(activation), {dense: output}]\n"
        #expect(try Self.check(yaml, loss: .softmaxCrossEntropy, classes: 3, outputs: 3, seed: 2) < 5e-3)
    }

    @Test("dense + each activation + mean squared error", arguments: activations)
    func meanSquaredError(activation: String) throws {
        let yaml = "name: t\nlayers: [{dense: 5}, \(activation), {dense: output}]\n"
        #expect(try Self.check(yaml, loss: .meanSquaredError, classes: 2, outputs: 2, seed: 3) < 5e-3)
    }

    @Test("dropout in training mode (fixed mask) and the L2 penalty")
    func dropoutAndL2() throws {
        let yaml = "name: t\nlayers: [{dense: 6}, tanh, {dropout: 0.5}, {dense: output}]\nl2: 0.1\n"
        #expect(try Self.check(yaml, loss: .softmaxCrossEntropy, classes: 3, outputs: 3, seed: 4) < 5e-3)
    }

    @Test("the check itself catches a wrong gradient")
    func checkCanFail() throws {
        // Tanh's derivative replaced by sigmoid's would be wrong: emulate by comparing a
        // tanh network's analytic gradient with a sigmoid network's numeric one.
        let tanh = try makeNetwork("name: t\nlayers: [{dense: 5}, tanh, {dense: output}]\n", inputs: 4, outputs: 1, seed: 5)
        var sigmoid = try makeNetwork("name: t\nlayers: [{dense: 5}, sigmoid, {dense: output}]\n", inputs: 4, outputs: 1, seed: 5)
        sigmoid.parameters = tanh.parameters
        let data = randomBatch(rows: 6, width: 4, classes: 2, seed: 105)
        var step = TrainingStep(network: tanh, capacity: 6)
        var copy = tanh
        var generator = SeededGenerator(seed: 99)
        _ = step.computeGradient(&copy, loss: .binaryCrossEntropy, data: data, rows: Array(0..<6)[...], generator: &generator)
        let flat = sigmoid.parameters.flattened()
        var plus = flat, minus = flat
        plus[0] += 1e-2
        minus[0] -= 1e-2
        let numeric = (Self.meanLoss(sigmoid, NamedTensors(flat: plus, like: sigmoid.parameters), loss: .binaryCrossEntropy, data: data)
            - Self.meanLoss(sigmoid, NamedTensors(flat: minus, like: sigmoid.parameters), loss: .binaryCrossEntropy, data: data)) / 2e-2
        #expect(abs(numeric - Double(step.gradient.flattened()[0])) > 1e-3)
    }

    @Test("losses are finite and exact for extreme logits")
    func extremeLogits() {
        var gradient = Tensor<Float>.zeros([2, 1])
        let bce = Loss.binaryCrossEntropy.evaluate(logits: Tensor(shape: [2, 1], scalars: [100, -100]), labels: [0, 0][...], gradient: &gradient)
        #expect(abs(bce - 100) < 1e-4)
        #expect(gradient.scalars[0] == 1 && abs(gradient.scalars[1]) < 1e-30)
        var g3 = Tensor<Float>.zeros([1, 3])
        let ce = Loss.softmaxCrossEntropy.evaluate(logits: Tensor(shape: [1, 3], scalars: [1000, 0, -1000]), labels: [1][...], gradient: &g3)
        #expect(abs(ce - 1000) < 1e-2)
        #expect(abs(g3.scalars[0] - 1) < 1e-6 && abs(g3.scalars[1] + 1) < 1e-6)
    }
}
