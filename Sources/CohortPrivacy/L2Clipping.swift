// L2 clipping, the step that bounds one record's (or one site's) contribution before
// Gaussian noise is added: the sensitivity C that the noise multiplier σ is relative to
// (Abadi et al., "Deep Learning with Differential Privacy", CCS 2016, Algorithm 1,
// "clip gradient": g / max(1, ‖g‖₂/C); McMahan et al., ICLR 2018, Algorithm 1 for
// whole-update clipping in DP-FedAvg).
//
// Noise itself is drawn elsewhere (`GaussianNoise` in CohortTensor).

/// The fraction of C that a clipped vector is scaled to: 1 − 10⁻⁶. Float32 rounding of
/// the scale and of each product can raise the norm by at most (1 + 2⁻²⁴)² ≈ 1 + 1.2·10⁻⁷,
/// so a clipped vector's norm stays strictly below C. The bias (10⁻⁶ relative) is far
/// below anything training notices.
let clipSafetyFactor = 1 - 1e-6

/// The Euclidean norm ‖v‖₂ of a Float32 vector, accumulated in Double (no overflow: a
/// Float32 squared fits a Double; relative error about 1e-16 · √n). NaN or +infinity if an
/// element is not finite.
public func l2Norm(_ vector: [Float]) -> Double {
    vector.withUnsafeBufferPointer { buffer in
        var sums = (0.0, 0.0, 0.0, 0.0)
        var index = 0
        let count = buffer.count
        while index + 4 <= count {
            let a = Double(buffer[index])
            let b = Double(buffer[index + 1])
            let c = Double(buffer[index + 2])
            let d = Double(buffer[index + 3])
            sums.0 += a * a
            sums.1 += b * b
            sums.2 += c * c
            sums.3 += d * d
            index += 4
        }
        while index < count {
            let a = Double(buffer[index])
            sums.0 += a * a
            index += 1
        }
        return ((sums.0 + sums.1) + (sums.2 + sums.3)).squareRoot()
    }
}

/// The factor that clips a vector of L2 norm `norm` to at most `bound`:
/// 1 if norm ≤ bound, else (bound / norm)·(1 − 10⁻⁶) (see `clip(_:toNorm:)`), and 0 for a
/// norm that is not finite (a NaN or infinite update must not pass through).
///
/// For per-example clipping without per-example tensors: scale each example's row by
/// its factor inside one GEMM (ARCHITECTURE.md, "Privacy model").
public func clipFactor(norm: Double, toNorm bound: Float) -> Float {
    precondition(bound >= 0 && bound.isFinite, "clip bound must be finite and ≥ 0, got \(bound)")
    guard norm.isFinite else { return 0 }
    if norm <= Double(bound) { return 1 }
    return Float(Double(bound) / norm * clipSafetyFactor)
}

/// Clips `vector` in place to L2 norm at most `bound` ≥ 0 and returns the factor applied:
/// v ← v · min(1, C/‖v‖₂) (Abadi et al. 2016, Algorithm 1), with the 10⁻⁶ safety margin
/// that keeps the Float32 result's norm ≤ C despite rounding.
///
/// A vector already within the bound is left exactly as it is (factor 1). A vector with a
/// NaN or infinite element is set to zeros (factor 0): it has no meaningful norm, and
/// passing it on would break the sensitivity bound.
@discardableResult
public func clip(_ vector: inout [Float], toNorm bound: Float) -> Float {
    let factor = clipFactor(norm: l2Norm(vector), toNorm: bound)
    if factor == 1 { return 1 }
    vector.withUnsafeMutableBufferPointer { buffer in
        if factor == 0 {
            buffer.update(repeating: 0)
        } else {
            for index in buffer.indices { buffer[index] *= factor }
        }
    }
    return factor
}

/// A copy of `vector` clipped to L2 norm at most `bound` (see `clip(_:toNorm:)`), with the
/// factor applied.
public func clipped(_ vector: [Float], toNorm bound: Float) -> (vector: [Float], factor: Float) {
    var copy = vector
    let factor = clip(&copy, toNorm: bound)
    return (copy, factor)
}
