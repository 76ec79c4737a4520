import CohortTensor
import Foundation

/// A training loss: per-example values and per-example gradients with respect to the logits.
///
/// `evaluate` returns Σᵢ ℓᵢ over the batch and writes ∂ℓᵢ/∂zᵢ (not divided by the batch
/// size) into `gradient`: plain training scales the parameter gradient by 1/B, DP-SGD
/// clips each example's gradient first.
public enum Loss: String, Sendable, Codable, Equatable {
    /// Binary cross-entropy on one logit z with label y ∈ {0, 1}:
    /// ℓ = max(z, 0) − z·y + log(1 + e^(−|z|)) (the overflow-free form of
    /// −y·log σ(z) − (1 − y)·log(1 − σ(z))); ∂ℓ/∂z = σ(z) − y.
    case binaryCrossEntropy
    /// Softmax cross-entropy on k logits with class c: ℓ = logΣⱼ e^(zⱼ) − z_c;
    /// ∂ℓ/∂zⱼ = softmax(z)ⱼ − [j = c].
    case softmaxCrossEntropy
    /// Mean squared error against one-hot targets (or given targets) over k outputs:
    /// ℓ = (1/k)·Σⱼ (zⱼ − tⱼ)²; ∂ℓ/∂zⱼ = 2(zⱼ − tⱼ)/k.
    case meanSquaredError

    /// The loss for a classification task: binary cross-entropy on one logit for two
    /// classes, softmax cross-entropy otherwise.
    public static func forClassification(classCount: Int) -> Loss {
        classCount <= 2 ? .binaryCrossEntropy : .softmaxCrossEntropy
    }

    /// The number of logits this loss needs for `classCount` classes.
    public func outputWidth(classCount: Int) -> Int {
        self == .binaryCrossEntropy ? 1 : classCount
    }

    /// Σᵢ ℓᵢ over the rows of `logits`; ∂ℓᵢ/∂zᵢ go into `gradient` (same shape).
    /// `labels` holds each row's class; `targets`, when given, replaces one-hot labels
    /// for mean squared error.
    public func evaluate(
        logits: Tensor<Float>, labels: ArraySlice<Int>, targets: Tensor<Float>? = nil, gradient: inout Tensor<Float>
    ) -> Double {
        precondition(logits.rank == 2 && gradient.shape == logits.shape,
                     "loss shape mismatch: logits \(logits.shape), gradient \(gradient.shape)")
        let rows = logits.shape[0], k = logits.shape[1]
        precondition(targets != nil || labels.count == rows, "loss needs \(rows) labels, got \(labels.count)")
        var total = 0.0
        logits.withUnsafeBufferPointer { z in
            gradient.withUnsafeMutableBufferPointer { g in
                switch self {
                case .binaryCrossEntropy:
                    precondition(k == 1, "binary cross-entropy needs one logit per example, got \(k)")
                    for (i, label) in zip(0..<rows, labels) {
                        let x = z[i], y: Float = label == 1 ? 1 : 0
                        precondition(label == 0 || label == 1, "binary label must be 0 or 1, got \(label)")
                        total += Double(Swift.max(x, 0) - x * y + Foundation.log1p(Foundation.exp(-Swift.abs(x))))
                        g[i] = Activation.sigmoid(x) - y
                    }
                case .softmaxCrossEntropy:
                    for (i, label) in zip(0..<rows, labels) {
                        precondition(label >= 0 && label < k, "class \(label) outside 0..<\(k)")
                        let row = i * k
                        var maximum = z[row]
                        for j in 1..<k { maximum = Swift.max(maximum, z[row + j]) }
                        var sum: Float = 0
                        for j in 0..<k {
                            let e = Foundation.exp(z[row + j] - maximum)
                            g[row + j] = e
                            sum += e
                        }
                        total += Double(maximum + Foundation.log(sum) - z[row + label])
                        let inverse = 1 / sum
                        for j in 0..<k { g[row + j] *= inverse }
                        g[row + label] -= 1
                    }
                case .meanSquaredError:
                    let scale = 2 / Float(k)
                    for i in 0..<rows {
                        for j in 0..<k {
                            let target: Float
                            if let targets {
                                target = targets.scalars[i * k + j]
                            } else {
                                let label = labels[labels.startIndex + i]
                                // One output: the label itself; several: one-hot.
                                target = k == 1 ? Float(label) : (label == j ? 1 : 0)
                            }
                            let difference = z[i * k + j] - target
                            total += Double(difference * difference) / Double(k)
                            g[i * k + j] = scale * difference
                        }
                    }
                }
            }
        }
        return total
    }
}
