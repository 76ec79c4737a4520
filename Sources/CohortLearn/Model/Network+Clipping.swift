import CohortTensor

extension Network {
    /// Back-propagates per-example loss gradients and writes the sum of the per-example
    /// parameter gradients, each clipped to L2 norm `clipNorm`, into `gradient`:
    /// Σᵢ gᵢ·min(1, C/‖gᵢ‖₂) (Abadi et al., "Deep Learning with Differential Privacy",
    /// CCS 2016, Algorithm 1). Returns how many examples were clipped.
    ///
    /// No per-example gradient tensor is built. For a dense layer with input row xᵢ and
    /// output-gradient row δᵢ, example i's weight gradient is the outer product xᵢδᵢᵀ, whose
    /// Frobenius norm is ‖xᵢ‖₂·‖δᵢ‖₂, and its bias gradient is δᵢ; so
    /// ‖gᵢ‖² = Σ_layers (‖xᵢ‖² + 1)·‖δᵢ‖² (Goodfellow, "Efficient Per-Example Gradient
    /// Computations", arXiv:1510.01799, 2015, §3). The clipped sum for a layer is then
    /// Σᵢ cᵢxᵢδᵢᵀ = Xᵀ·diag(c)·Δ: one GEMM on Δ with its rows scaled by cᵢ, the same
    /// cost as plain back-propagation (the per-row scale is O(B·width)).
    ///
    /// The back-propagated Δ of every layer is computed first from the unscaled loss
    /// gradients (clipping scales a whole example's gradient, which does not change how
    /// Δ flows backward), then each layer's rows are scaled and multiplied.
    @discardableResult
    public func backwardClipped(
        _ workspace: inout NetworkWorkspace, into gradient: inout NamedTensors, clipNorm: Float
    ) -> Int {
        precondition(gradient.hasSameLayout(as: parameters), "gradient layout does not match the parameters")
        precondition(clipNorm > 0, "clip norm must be positive, got \(clipNorm)")
        let rows = workspace.batchSize
        workspace.squaredNorms.withUnsafeMutableBufferPointer { norms in
            for i in 0..<rows { norms[i] = 0 }
        }
        // Stage 1: every Δ, and each example's squared gradient norm.
        for k in operations.indices.reversed() {
            propagate(operation: k, &workspace)
            if case .dense = operations[k] {
                let input = workspace.values[k], outputGradient = workspace.gradients[k + 1]
                input.squaredRowNorms(into: &workspace.inputRowNorms)
                outputGradient.squaredRowNorms(into: &workspace.outputRowNorms)
                workspace.inputRowNorms.withUnsafeBufferPointer { xx in
                    workspace.outputRowNorms.withUnsafeBufferPointer { dd in
                        workspace.squaredNorms.withUnsafeMutableBufferPointer { norms in
                            // (‖xᵢ‖² + 1)·‖δᵢ‖²: the 1 is the bias gradient's share.
                            for i in 0..<rows { norms[i] += (xx[i] + 1) * dd[i] }
                        }
                    }
                }
            }
        }
        // Stage 2: scale each example's Δ rows by cᵢ = min(1, C/‖gᵢ‖), then one GEMM a layer.
        var clipped = 0
        workspace.squaredNorms.withUnsafeBufferPointer { norms in
            workspace.clipFactors.withUnsafeMutableBufferPointer { factors in
                for i in 0..<rows {
                    let norm = norms[i].squareRoot()
                    factors[i] = norm > clipNorm ? clipNorm / norm : 1
                    if norm > clipNorm { clipped += 1 }
                }
            }
        }
        for k in operations.indices {
            guard case .dense(let index, _, _) = operations[k] else { continue }
            workspace.gradients[k + 1].scaleRows(by: workspace.clipFactors)
            accumulateDenseGradient(operation: k, index: index, workspace, into: &gradient, scale: 1)
        }
        return clipped
    }
}
