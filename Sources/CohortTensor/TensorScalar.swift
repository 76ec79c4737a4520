/// Whether a matrix operand of a BLAS call is read as stored or transposed.
public enum Transpose: Sendable, Equatable {
    case none
    case transposed

    /// `.transposed` when `flag` is true.
    public init(_ flag: Bool) { self = flag ? .transposed : .none }
}

/// A floating-point scalar that `Tensor` can store and hand to BLAS and LAPACK.
///
/// `Float` is the currency of training; `Double` serves the numerics that need it
/// (exact reference solutions, accountants). Each conformance forwards to the
/// single- or double-precision routine of OpenBLAS and LAPACKE; the requirements use
/// Swift types only, so no C type leaks out of `CohortTensor`.
public protocol TensorScalar: BinaryFloatingPoint, Sendable, Codable
where Self.RawSignificand: FixedWidthInteger {
    /// C ← α·op(A)·op(B) + β·C, row-major (`?gemm`).
    static func gemm(
        transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// y ← α·op(A)·x + β·y, row-major (`?gemv`).
    static func gemv(
        transpose: Transpose, m: Int, n: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, x: UnsafePointer<Self>,
        beta: Self, y: UnsafeMutablePointer<Self>)

    /// y ← α·x + y (`?axpy`).
    static func axpy(count: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)
    /// x ← α·x (`?scal`).
    static func scal(count: Int, alpha: Self, x: UnsafeMutablePointer<Self>)
    /// xᵀy (`?dot`).
    static func dot(count: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self
    /// ‖x‖₂ (`?nrm2`), computed without overflow.
    static func nrm2(count: Int, x: UnsafePointer<Self>) -> Self

    /// Solves A·X = B for a general n×n A by LU with partial pivoting (`?gesv`).
    /// A and B are row-major and overwritten. Returns LAPACK's `info`.
    static func gesv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, b: UnsafeMutablePointer<Self>) -> Int
    /// Solves A·X = B for a symmetric positive-definite A by Cholesky (`?posv`).
    /// A and B are row-major and overwritten. Returns LAPACK's `info`.
    static func posv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, b: UnsafeMutablePointer<Self>) -> Int

    /// eˣ and ln x for this precision.
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
}
