/// Small element-wise kernels written with SIMD vectors, for loops the compiler does not
/// vectorise by itself (a data-dependent select, a floating-point reduction).
enum VectorKernels {
    typealias Vector = SIMD16<Float>
    static let width = Vector.scalarCount

    /// dx[i] = x[i] > 0 ? dy[i] : 0, without a branch per element (ReLU backward).
    static func reluBackward(
        input x: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
        into dx: UnsafeMutableBufferPointer<Float>
    ) {
        guard let xp = x.baseAddress, let dyp = dy.baseAddress, let dxp = dx.baseAddress else { return }
        let n = x.count
        var i = 0
        while i + width <= n {
            let xv = UnsafeRawPointer(xp + i).loadUnaligned(as: Vector.self)
            let gv = UnsafeRawPointer(dyp + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(dxp + i).storeBytes(of: gv.replacing(with: 0, where: xv .<= 0), as: Vector.self)
            i += width
        }
        while i < n {
            dxp[i] = xp[i] > 0 ? dyp[i] : 0
            i += 1
        }
    }

    /// Σᵢ p[i]², accumulated in SIMD lanes then summed. A tail shorter than a vector is
    /// one load of the last `width` elements with the lanes already counted set to zero,
    /// not a scalar loop (DP-SGD calls this per example on rows 30 or 64 wide).
    static func sumOfSquares(_ p: UnsafePointer<Float>, count n: Int) -> Float {
        guard n >= width else {
            var total: Float = 0
            for i in 0..<n { total += p[i] * p[i] }
            return total
        }
        var accumulator = Vector.zero
        var i = 0
        while i + width <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: Vector.self)
            accumulator += v * v
            i += width
        }
        if i < n {
            let counted = i - (n - width)  // lanes of the last vector already summed
            let v = UnsafeRawPointer(p + n - width).loadUnaligned(as: Vector.self)
            accumulator += (v * v).replacing(with: 0, where: laneIndices .< SIMD16<Int32>(repeating: Int32(counted)))
        }
        return accumulator.sum()
    }

    private static let laneIndices = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    /// p[i] *= factor for i in 0..<n.
    static func scale(_ p: UnsafeMutablePointer<Float>, count n: Int, by factor: Float) {
        var i = 0
        while i + width <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(p + i).storeBytes(of: v * factor, as: Vector.self)
            i += width
        }
        while i < n {
            p[i] *= factor
            i += 1
        }
    }
}
