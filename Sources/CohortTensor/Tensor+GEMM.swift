extension Tensor {
    /// The shape of op(X): rows and columns after the optional transpose.
    @inlinable
    static func operandShape(_ x: Tensor, _ transpose: Transpose) -> (rows: Int, columns: Int) {
        precondition(x.rank == 2, "matrix multiply needs matrices, got shape \(x.shape)")
        return transpose == .none ? (x.shape[0], x.shape[1]) : (x.shape[1], x.shape[0])
    }

    /// C ← α·op(A)·op(B) + β·C in place, through BLAS `?gemm`.
    ///
    /// The accumulate form of matrix multiply: with β = 1 it adds into `c`, and since `c`
    /// is reused a training loop allocates nothing per step (as long as `c` is not shared).
    /// op(X) is X or Xᵀ according to the transpose flags. Shapes must agree:
    /// op(A) is m×k, op(B) is k×n and C is m×n.
    @inlinable
    public static func gemm(
        _ a: Tensor, transposeA: Transpose = .none,
        _ b: Tensor, transposeB: Transpose = .none,
        into c: inout Tensor, alpha: Scalar = 1, beta: Scalar = 0
    ) {
        let (m, k) = operandShape(a, transposeA)
        let (kb, n) = operandShape(b, transposeB)
        precondition(
            k == kb,
            "matrix multiply shape mismatch: op(A) of \(a.shape)\(transposeA == .transposed ? "ᵀ" : "") is \(m)×\(k), "
                + "op(B) of \(b.shape)\(transposeB == .transposed ? "ᵀ" : "") is \(kb)×\(n)")
        precondition(
            c.rank == 2 && c.shape[0] == m && c.shape[1] == n,
            "matrix multiply output shape mismatch: A \(a.shape) × B \(b.shape) gives [\(m), \(n)], C is \(c.shape)")
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS rejects zero leading dimensions; an empty sum leaves β·C.
            c.scale(by: beta)
            return
        }
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    guard let pa = pa.baseAddress, let pb = pb.baseAddress, let pc = pc.baseAddress else { return }
                    Scalar.gemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        alpha: alpha, a: pa, lda: a.shape[1], b: pb, ldb: b.shape[1],
                        beta: beta, c: pc, ldc: n)
                }
            }
        }
    }

    /// op(A)·op(B), a new matrix, through BLAS `?gemm`.
    @inlinable
    public static func matmul(
        _ a: Tensor, transposeA: Transpose = .none,
        _ b: Tensor, transposeB: Transpose = .none
    ) -> Tensor {
        let m = operandShape(a, transposeA).rows
        let n = operandShape(b, transposeB).columns
        var c = Tensor.zeros([m, n])
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }

    /// self · other, the matrix product.
    @inlinable
    public func matmul(_ other: Tensor) -> Tensor { Tensor.matmul(self, other) }

    /// y ← α·op(A)·x + β·y in place, through BLAS `?gemv`; `x` and `y` are vectors.
    @inlinable
    public static func gemv(
        _ a: Tensor, transpose: Transpose = .none, _ x: Tensor,
        into y: inout Tensor, alpha: Scalar = 1, beta: Scalar = 0
    ) {
        let (m, n) = operandShape(a, transpose)
        precondition(x.rank == 1 && x.count == n,
                     "matrix-vector shape mismatch: op(A) is \(m)×\(n) from \(a.shape), x is \(x.shape)")
        precondition(y.rank == 1 && y.count == m,
                     "matrix-vector output shape mismatch: op(A) is \(m)×\(n) from \(a.shape), y is \(y.shape)")
        if m == 0 { return }
        if n == 0 {
            y.scale(by: beta)
            return
        }
        a.scalars.withUnsafeBufferPointer { pa in
            x.scalars.withUnsafeBufferPointer { px in
                y.storage.withUnsafeMutableBufferPointer { py in
                    guard let pa = pa.baseAddress, let px = px.baseAddress, let py = py.baseAddress else { return }
                    Scalar.gemv(
                        transpose: transpose, m: a.shape[0], n: a.shape[1], alpha: alpha,
                        a: pa, lda: a.shape[1], x: px, beta: beta, y: py)
                }
            }
        }
    }

    /// op(A)·x, a new vector.
    @inlinable
    public static func matvec(_ a: Tensor, transpose: Transpose = .none, _ x: Tensor) -> Tensor {
        var y = Tensor.zeros([operandShape(a, transpose).rows])
        gemv(a, transpose: transpose, x, into: &y)
        return y
    }
}
