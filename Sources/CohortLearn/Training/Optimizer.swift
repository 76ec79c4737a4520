import CohortTensor
import Foundation

/// Which optimiser to use and its settings, as plans and the command line give them.
public enum OptimizerConfiguration: Sendable, Equatable, Codable {
    /// Stochastic gradient descent with optional momentum μ, Nesterov momentum, and
    /// weight decay (L2 added to the gradient).
    case sgd(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0)
    /// Adam (Kingma and Ba, ICLR 2015); weight decay as L2 added to the gradient.
    case adam(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0)
    /// AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019).
    case adamW(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01)

    /// A fresh optimiser with zeroed state for parameters of this layout.
    public func makeOptimizer(for parameters: NamedTensors) -> Optimizer {
        Optimizer(configuration: self, layout: parameters)
    }
}

/// An optimiser and its state (velocities or moment estimates), one per parameter tensor.
///
/// `update(_:along:learningRate:)` moves the parameters against the gradient:
/// - SGD (PyTorch's formulation; Sutskever et al., ICML 2013, for momentum and Nesterov):
///   g ← g + λθ; v ← μv + g; θ ← θ − η·(g + μv) with Nesterov, else θ ← θ − η·v.
/// - Adam (Kingma and Ba 2015, Algorithm 1): m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
///   θ ← θ − η·m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
/// - AdamW (Loshchilov and Hutter 2019, Algorithm 2): as Adam without L2 in g, then
///   θ ← θ − η·λθ (decay scaled by the learning rate, as PyTorch does).
public struct Optimizer: Sendable {
    public let configuration: OptimizerConfiguration
    private var first: [[Float]]
    private var second: [[Float]]
    /// Steps taken so far (t in Adam's bias correction).
    public private(set) var step = 0

    init(configuration: OptimizerConfiguration, layout: NamedTensors) {
        self.configuration = configuration
        let needsFirst: Bool, needsSecond: Bool
        switch configuration {
        case .sgd(let momentum, _, _): (needsFirst, needsSecond) = (momentum != 0, false)
        case .adam, .adamW: (needsFirst, needsSecond) = (true, true)
        }
        first = layout.tensors.map { needsFirst ? [Float](repeating: 0, count: $0.count) : [] }
        second = layout.tensors.map { needsSecond ? [Float](repeating: 0, count: $0.count) : [] }
    }

    /// One step: θ moves against `gradient` with learning rate η.
    public mutating func update(_ parameters: inout NamedTensors, along gradient: NamedTensors, learningRate: Float) {
        precondition(parameters.hasSameLayout(as: gradient), "optimizer: gradient layout does not match the parameters")
        precondition(first.count == parameters.count, "optimizer state was made for another layout")
        step += 1
        let configuration = self.configuration, step = self.step
        for index in 0..<parameters.count {
            let g = gradient.tensors[index]
            parameters.withTensor(at: index) { theta in
                theta.withUnsafeMutableBufferPointer { p in
                    g.withUnsafeBufferPointer { g in
                        first[index].withUnsafeMutableBufferPointer { m in
                            second[index].withUnsafeMutableBufferPointer { v in
                                Optimizer.apply(configuration, step, p, g, m, v, learningRate)
                            }
                        }
                    }
                }
            }
        }
    }

    private static func apply(
        _ configuration: OptimizerConfiguration, _ step: Int, _ p: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>,
        _ m: UnsafeMutableBufferPointer<Float>, _ v: UnsafeMutableBufferPointer<Float>, _ eta: Float
    ) {
        let n = p.count
        switch configuration {
        case .sgd(let momentum, let nesterov, let decay):
            if momentum == 0 {
                for i in 0..<n { p[i] -= eta * (g[i] + decay * p[i]) }
            } else {
                for i in 0..<n {
                    let gi = g[i] + decay * p[i]
                    m[i] = momentum * m[i] + gi
                    p[i] -= eta * (nesterov ? gi + momentum * m[i] : m[i])
                }
            }
        case .adam(let beta1, let beta2, let epsilon, let decay):
            let c1 = 1 - Float(Foundation.pow(Double(beta1), Double(step)))
            let c2 = 1 - Float(Foundation.pow(Double(beta2), Double(step)))
            for i in 0..<n {
                let gi = g[i] + decay * p[i]
                m[i] = beta1 * m[i] + (1 - beta1) * gi
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                p[i] -= eta * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
            }
        case .adamW(let beta1, let beta2, let epsilon, let decay):
            let c1 = 1 - Float(Foundation.pow(Double(beta1), Double(step)))
            let c2 = 1 - Float(Foundation.pow(Double(beta2), Double(step)))
            for i in 0..<n {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                p[i] -= eta * ((m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon) + decay * p[i])
            }
        }
    }
}

/// How the learning rate changes over training.
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    case constant
    /// Cosine annealing without restarts (Loshchilov and Hutter, "SGDR", ICLR 2017,
    /// eq. 5): η_t = η_min + ½(η₀ − η_min)(1 + cos(π·t/T)) over T total steps.
    case cosine(minimum: Float = 0)

    /// The learning rate at step t (0-based) of `totalSteps`, starting from `base`.
    public func learningRate(base: Float, step: Int, totalSteps: Int) -> Float {
        switch self {
        case .constant:
            return base
        case .cosine(let minimum):
            let progress = Double(Swift.min(step, totalSteps)) / Double(Swift.max(totalSteps, 1))
            return minimum + 0.5 * (base - minimum) * Float(1 + Foundation.cos(Double.pi * progress))
        }
    }
}
