import CohortData
import CohortTensor
import Foundation
import Testing
@testable import CohortLearn

@Suite("Logistic regression against Newton's method")
struct LogisticRegressionTests {
    /// The exact minimiser of (1/n)Σ BCE(xᵢ·w + b, yᵢ) + (λ/2)‖w‖², by Newton's method in
    /// Double with a Cholesky (LAPACK posv) solve per iteration:
    /// ∇ = (1/n)X̃ᵀ(p − y) + λ[w; 0], H = (1/n)X̃ᵀ diag(p(1 − p)) X̃ + λ diag(1, …, 1, 0),
    /// with X̃ = [X, 1].
    static func newton(features: Tensor<Float>, labels: [Int], lambda: Double) throws -> [Double] {
        let n = features.shape[0], d = features.shape[1]
        let x: Tensor<Double> = features.converted()
        var theta = [Double](repeating: 0, count: d + 1)
        for _ in 0..<50 {
            var gradient = [Double](repeating: 0, count: d + 1)
            var hessian = Tensor<Double>.zeros([d + 1, d + 1])
            for i in 0..<n {
                var z = theta[d]
                for j in 0..<d { z += x[i, j] * theta[j] }
                let p = 1 / (1 + exp(-z)), s = p * (1 - p), r = p - Double(labels[i])
                for j in 0...d {
                    let xj = j < d ? x[i, j] : 1
                    gradient[j] += r * xj / Double(n)
                    for k in 0...d { hessian[j, k] += s * xj * (k < d ? x[i, k] : 1) / Double(n) }
                }
            }
            for j in 0..<d {
                gradient[j] += lambda * theta[j]
                hessian[j, j] += lambda
            }
            let step = try Tensor.choleskySolve(hessian, Tensor(gradient))
            for j in 0...d { theta[j] -= step.scalars[j] }
            if step.l2Norm < 1e-12 { break }
        }
        return theta
    }

    @Test("full-batch training converges to the exact L2-regularised optimum (1e-3 relative)")
    func convergesToNewtonOptimum() throws {
        let dataset = try bundledDataset("breast_cancer_wdbc")
        let lambda = 0.01
        let exact = try Self.newton(features: dataset.train.features, labels: dataset.train.labels, lambda: lambda)
        var network = try makeNetwork("name: lr\nlayers: [{dense: output}]\nl2: \(lambda)\n", inputs: 30, outputs: 1)
        let training = LabeledData(dataset.train)
        let options = TrainingOptions(
            epochs: 4000, batchSize: training.count, learningRate: 0.3,
            optimizer: .sgd(momentum: 0.9, nesterov: true), blasThreads: .unchanged)
        _ = try Trainer(options: options).train(&network, loss: .binaryCrossEntropy, training: training)
        let learned = network.parameters["dense0.weight"]!.scalars.map(Double.init) + [Double(network.parameters["dense0.bias"]!.scalars[0])]
        let difference = zip(learned, exact).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let norm = exact.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        #expect(difference / norm < 1e-3, "relative distance \(difference / norm)")
        for (a, b) in zip(learned, exact) { #expect(abs(a - b) <= 1e-3 * max(abs(b), 0.1 * norm / Double(exact.count).squareRoot())) }
    }

    @Test("the logistic-regression model generalises on breast cancer like scikit-learn's (≥ 0.95 test accuracy)")
    func accuracy() throws {
        let dataset = try bundledDataset("breast_cancer_wdbc")
        let definition = try ModelDefinition.load("logistic-regression", modelsDirectory: packageRoot.appendingPathComponent("Models"))
        var generator = SeededGenerator(seed: 1)
        var network = Network(definition: definition, inputWidth: 30, outputWidth: 1, using: &generator)
        let options = TrainingOptions(epochs: 100, batchSize: 32, learningRate: 0.05, earlyStoppingPatience: 10, blasThreads: .unchanged)
        let result = try Trainer(options: options).train(
            &network, loss: .binaryCrossEntropy, training: LabeledData(dataset.train), validation: LabeledData(dataset.validation))
        let evaluation = Evaluation.of(network, loss: .binaryCrossEntropy, on: LabeledData(dataset.test))
        #expect(evaluation.accuracy >= 0.95, "test accuracy \(evaluation.accuracy) after \(result.history.count) epochs")
    }
}
