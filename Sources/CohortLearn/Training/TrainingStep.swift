import CohortTensor

/// One optimiser step's worth of buffers and work, reused for every step of a run.
struct TrainingStep {
    var workspace: NetworkWorkspace
    var gradient: NamedTensors
    private var labels: [Int]
    private var weightIndices: [Int]

    init(network: Network, capacity: Int) {
        workspace = NetworkWorkspace(for: network, capacity: capacity)
        gradient = network.parameters.zerosLike()
        labels = []
        labels.reserveCapacity(capacity)
        weightIndices = network.weightNames.compactMap { network.parameters.names.firstIndex(of: $0) }
    }

    /// Loads the batch, runs forward, and fills the output gradient with ∂ℓᵢ/∂zᵢ.
    /// Returns Σᵢ ℓᵢ.
    private mutating func forwardAndLoss<G: RandomNumberGenerator>(
        _ network: Network, loss: Loss, data: LabeledData, rows: ArraySlice<Int>, generator: inout G
    ) -> Double {
        workspace.loadBatch(from: data.features, rows: rows)
        labels.removeAll(keepingCapacity: true)
        for row in rows { labels.append(data.labels[row]) }
        network.forward(&workspace, training: true, using: &generator)
        let last = workspace.values.count - 1
        let logits = workspace.values[last]
        return loss.evaluate(logits: logits, labels: labels[...], gradient: &workspace.gradients[last])
    }

    /// The mean gradient over `rows` into `gradient` (no L2 term); returns Σᵢ ℓᵢ.
    mutating func computeGradient<G: RandomNumberGenerator>(
        _ network: inout Network, loss: Loss, data: LabeledData, rows: ArraySlice<Int>, generator: inout G
    ) -> Double {
        let total = forwardAndLoss(network, loss: loss, data: data, rows: rows, generator: &generator)
        network.backward(&workspace, into: &gradient, scale: 1 / Float(Swift.max(rows.count, 1)))
        return total
    }

    /// A DP-SGD step's work without the update (for timing thread counts): clipped
    /// gradient and, when `noise` is given, noise into the scratch gradient.
    mutating func timingPrivateGradient<G: RandomNumberGenerator>(
        _ network: inout Network, loss: Loss, data: LabeledData, rows: ArraySlice<Int>, clipNorm: Float,
        noise: ParallelGaussianNoise?, generator: inout G
    ) -> Double {
        let total = forwardAndLoss(network, loss: loss, data: data, rows: rows, generator: &generator)
        network.backwardClipped(&workspace, into: &gradient, clipNorm: clipNorm)
        guard let noise else { return total }
        for index in 0..<gradient.count {
            gradient.withTensor(at: index) { noise.addNoise(to: &$0, standardDeviation: 1) }
        }
        return total
    }

    /// A plain minibatch step; returns Σᵢ ℓᵢ over the batch.
    mutating func plainStep<G: RandomNumberGenerator>(
        _ network: inout Network, optimizer: inout Optimizer, loss: Loss, data: LabeledData,
        rows: ArraySlice<Int>, learningRate: Float, proximal: ProximalTerm? = nil, generator: inout G
    ) -> Double {
        let total = computeGradient(&network, loss: loss, data: data, rows: rows, generator: &generator)
        addL2(network)
        addProximal(network, proximal)
        optimizer.update(&network.parameters, along: gradient, learningRate: learningRate)
        return total
    }

    /// A DP-SGD step (Abadi et al. 2016, Algorithm 1): clip each example's gradient to C,
    /// sum, add N(0, σ²C²) to every coordinate, divide by the expected batch size qN.
    /// The L2 penalty's gradient is added after the noise: it depends on no example.
    /// With `prefetched`, the noise was drawn during the previous step on another thread
    /// and is the same, bit for bit, as drawing it here from `noise`.
    mutating func privateStep<G: RandomNumberGenerator>(
        _ network: inout Network, optimizer: inout Optimizer, loss: Loss, data: LabeledData,
        rows: ArraySlice<Int>, options: DPSGDOptions, expectedBatchSize: Double, noise: ParallelGaussianNoise,
        prefetched: PrefetchedGaussianNoise? = nil,
        learningRate: Float, proximal: ProximalTerm? = nil, generator: inout G
    ) -> (loss: Double, clipped: Int) {
        let total = forwardAndLoss(network, loss: loss, data: data, rows: rows, generator: &generator)
        let clipped = network.backwardClipped(&workspace, into: &gradient, clipNorm: options.clipNorm)
        let standardDeviation = options.noiseMultiplier * Double(options.clipNorm)
        let scale = Float(1 / expectedBatchSize)
        if let prefetched, standardDeviation > 0 {
            prefetched.withNextStep { step in
                for index in 0..<gradient.count {
                    gradient.withTensor(at: index) { tensor in
                        step.addNoise(toPart: index, of: &tensor, standardDeviation: standardDeviation, thenScaleBy: scale)
                    }
                }
            }
        } else {
            for index in 0..<gradient.count {
                gradient.withTensor(at: index) { tensor in
                    if standardDeviation > 0 { noise.addNoise(to: &tensor, standardDeviation: standardDeviation) }
                    tensor.scale(by: scale)
                }
            }
        }
        addL2(network)
        addProximal(network, proximal)
        optimizer.update(&network.parameters, along: gradient, learningRate: learningRate)
        return (total, clipped)
    }

    /// gradient += μ(θ − anchor): FedProx's proximal term (Li et al. 2020, Eq. 2).
    mutating func addProximal(_ network: Network, _ proximal: ProximalTerm?) {
        guard let proximal, proximal.mu > 0 else { return }
        precondition(proximal.anchor.hasSameLayout(as: network.parameters), "proximal anchor layout does not match the model")
        for index in 0..<gradient.count {
            let theta = network.parameters.tensors[index], anchor = proximal.anchor.tensors[index]
            gradient.withTensor(at: index) { g in
                g.add(theta, scaledBy: proximal.mu)
                g.add(anchor, scaledBy: -proximal.mu)
            }
        }
    }

    /// gradient_W += λ·W for every weight (not bias): the gradient of (λ/2)‖W‖².
    private mutating func addL2(_ network: Network) {
        let lambda = Float(network.definition.l2)
        guard lambda > 0 else { return }
        for index in weightIndices {
            let weight = network.parameters.tensors[index]
            gradient.withTensor(at: index) { $0.add(weight, scaledBy: lambda) }
        }
    }
}

/// Loss and accuracy of a network on labelled data.
public struct Evaluation: Sendable, Equatable {
    /// Mean loss per example.
    public var loss: Double
    /// Fraction of examples whose predicted class is right.
    public var accuracy: Double

    /// Evaluates `network` on `data` (inference mode: no dropout).
    public static func of(_ network: Network, loss: Loss, on data: LabeledData) -> Evaluation {
        let logits = network.predictLogits(data.features)
        var gradient = Tensor<Float>.zeros(logits.shape)
        let total = loss.evaluate(logits: logits, labels: data.labels[...], gradient: &gradient)
        let predictions = Evaluation.predictedClasses(logits: logits, loss: loss)
        let correct = zip(predictions, data.labels).filter { $0 == $1 }.count
        let n = Double(Swift.max(data.count, 1))
        return Evaluation(loss: total / n, accuracy: Double(correct) / n)
    }

    /// The predicted class of each row: logit > 0 for one logit, the argmax otherwise.
    public static func predictedClasses(logits: Tensor<Float>, loss: Loss) -> [Int] {
        if logits.shape[1] == 1 { return logits.scalars.map { $0 > 0 ? 1 : 0 } }
        return logits.argmaxOfEachRow()
    }
}
