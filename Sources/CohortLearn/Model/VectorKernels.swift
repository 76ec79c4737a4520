/// Small element-wise kernels written with SIMD vectors, for loops the compiler does not
/// vectorise by itself (a data-dependent select).
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
}
