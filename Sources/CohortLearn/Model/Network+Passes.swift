import CohortTensor

extension Network {
    /// Runs the batch in `workspace.values[0]` through the network; the logits end up in
    /// `workspace.output`. Dropout is active only when `training` is true.
    public func forward<G: RandomNumberGenerator>(
        _ workspace: inout NetworkWorkspace, training: Bool, using generator: inout G
    ) {
        for (k, operation) in operations.enumerated() {
            let input = workspace.values[k]
            switch operation {
            case .dense(let index, _, _):
                Tensor.gemm(input, parameters.tensors[2 * index], into: &workspace.values[k + 1])
                workspace.values[k + 1].addToEachRow(parameters.tensors[2 * index + 1])
            case .activation(let activation):
                input.withUnsafeBufferPointer { x in
                    workspace.values[k + 1].withUnsafeMutableBufferPointer { y in
                        activation.forward(x, into: y)
                    }
                }
            case .dropout(let rate):
                if training && rate > 0 {
                    // Inverted dropout (Srivastava et al., JMLR 2014, with the 1/(1 − p)
                    // scale moved to training time): E[y] = x.
                    let keep = 1 / (1 - rate)
                    workspace.masks[k].withUnsafeMutableBufferPointer { mask in
                        for i in mask.indices { mask[i] = Float.random(in: 0..<1, using: &generator) < rate ? 0 : keep }
                    }
                    multiply(input, by: workspace.masks[k], into: &workspace.values[k + 1])
                } else {
                    multiply(input, by: nil, into: &workspace.values[k + 1])
                }
            }
        }
    }

    /// The logits for a whole matrix of examples, in batches of `batchSize` (inference).
    public func predictLogits(_ data: Tensor<Float>, batchSize: Int = 1024) -> Tensor<Float> {
        precondition(data.rank == 2 && data.shape[1] == inputWidth,
                     "prediction input shape mismatch: data \(data.shape), network input width \(inputWidth)")
        let rows = data.shape[0]
        var workspace = NetworkWorkspace(for: self, capacity: Swift.min(Swift.max(rows, 1), batchSize))
        var generator = SeededGenerator(seed: 0)
        var parts = [Tensor<Float>]()
        var start = 0
        while start < rows {
            let end = Swift.min(start + batchSize, rows)
            workspace.loadBatch(from: data, rows: Array(start..<end)[...])
            forward(&workspace, training: false, using: &generator)
            parts.append(workspace.output)
            start = end
        }
        return parts.isEmpty ? Tensor<Float>.zeros([0, outputWidth]) : Tensor.concatenatingRows(parts)
    }

    /// Back-propagates `workspace.gradients.last` (∂ℓᵢ/∂logits, one row per example) and
    /// writes scale·Σᵢ ∂ℓᵢ/∂θ into `gradient` (same layout as `parameters`).
    ///
    /// Dense layer with input X and output gradient Δ: ∂W = Xᵀ·Δ, ∂b = Σᵢ Δᵢ, and the
    /// input gradient Δ·Wᵀ; each is one BLAS call into a reused buffer.
    public func backward(_ workspace: inout NetworkWorkspace, into gradient: inout NamedTensors, scale: Float) {
        precondition(gradient.hasSameLayout(as: parameters), "gradient layout does not match the parameters")
        for k in operations.indices.reversed() {
            propagate(operation: k, &workspace)
            if case .dense(let index, _, _) = operations[k] {
                accumulateDenseGradient(operation: k, index: index, workspace, into: &gradient, scale: scale)
            }
        }
    }

    /// Computes `gradients[k]` from `gradients[k + 1]` for operation k (not for k = 0,
    /// whose input is data).
    func propagate(operation k: Int, _ workspace: inout NetworkWorkspace) {
        guard k > 0 else { return }
        let outputGradient = workspace.gradients[k + 1]
        switch operations[k] {
        case .dense(let index, _, _):
            Tensor.gemm(outputGradient, parameters.tensors[2 * index], transposeB: .transposed,
                        into: &workspace.gradients[k])
        case .activation(let activation):
            let input = workspace.values[k], output = workspace.values[k + 1]
            input.withUnsafeBufferPointer { x in
                output.withUnsafeBufferPointer { y in
                    outputGradient.withUnsafeBufferPointer { dy in
                        workspace.gradients[k].withUnsafeMutableBufferPointer { dx in
                            activation.backward(input: x, output: y, outputGradient: dy, into: dx)
                        }
                    }
                }
            }
        case .dropout(let rate):
            multiply(outputGradient, by: rate > 0 ? workspace.masks[k] : nil, into: &workspace.gradients[k])
        }
    }

    /// ∂W = scale·Xᵀ·Δ and ∂b = scale·Σᵢ Δᵢ for the dense operation at k.
    func accumulateDenseGradient(
        operation k: Int, index: Int, _ workspace: NetworkWorkspace, into gradient: inout NamedTensors, scale: Float
    ) {
        let input = workspace.values[k], outputGradient = workspace.gradients[k + 1]
        gradient.withTensor(at: 2 * index) { weight in
            Tensor.gemm(input, transposeA: .transposed, outputGradient, into: &weight, alpha: scale)
        }
        gradient.withTensor(at: 2 * index + 1) { bias in
            let columns = outputGradient.shape[1], rows = outputGradient.shape[0]
            outputGradient.withUnsafeBufferPointer { g in
                bias.withUnsafeMutableBufferPointer { b in
                    for j in 0..<columns { b[j] = 0 }
                    for i in 0..<rows {
                        for j in 0..<columns { b[j] += g[i * columns + j] }
                    }
                    for j in 0..<columns { b[j] *= scale }
                }
            }
        }
    }
}

/// target ← source ⊙ mask (or a copy of source without a mask), in target's own storage.
func multiply(_ source: Tensor<Float>, by mask: Tensor<Float>?, into target: inout Tensor<Float>) {
    precondition(source.shape == target.shape, "shape mismatch: \(source.shape) into \(target.shape)")
    source.withUnsafeBufferPointer { x in
        target.withUnsafeMutableBufferPointer { y in
            if let mask {
                mask.withUnsafeBufferPointer { m in
                    for i in 0..<x.count { y[i] = x[i] * m[i] }
                }
            } else {
                for i in 0..<x.count { y[i] = x[i] }
            }
        }
    }
}
