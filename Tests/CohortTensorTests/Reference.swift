import CohortTensor

/// Naive reference implementations in Double, to check the BLAS-backed operations against.
enum Reference {
    /// op(A)·op(B) by the triple loop, in Double.
    static func matmul(_ a: Tensor<Float>, _ ta: Bool, _ b: Tensor<Float>, _ tb: Bool) -> [Double] {
        let (m, k) = ta ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = tb ? b.shape[0] : b.shape[1]
        func at(_ x: Tensor<Float>, _ t: Bool, _ i: Int, _ j: Int) -> Double {
            Double(t ? x.scalars[j * x.shape[1] + i] : x.scalars[i * x.shape[1] + j])
        }
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k { total += at(a, ta, i, p) * at(b, tb, p, j) }
                c[i * n + j] = total
            }
        }
        return c
    }

    /// The largest |x − y| relative to max(1, |y|).
    static func maxRelativeError(_ x: [Float], _ y: [Double]) -> Double {
        precondition(x.count == y.count)
        var worst = 0.0
        for i in 0..<x.count { worst = max(worst, abs(Double(x[i]) - y[i]) / max(1, abs(y[i]))) }
        return worst
    }
}

/// Shapes that exercise edge cases: odd sizes, 1×N, N×1 and empty.
let edgeDimensions = [0, 1, 2, 3, 7, 17, 64, 65]
