/// A linear system LAPACK could not solve.
public struct LinearAlgebraError: Error, CustomStringConvertible, Equatable {
    /// What went wrong.
    public enum Code: Sendable, Equatable {
        /// `?gesv`: U(i,i) is exactly zero, so A is singular.
        case singular
        /// `?posv`: the leading minor of this order is not positive, so A is not positive definite.
        case notPositiveDefinite
        /// LAPACK rejected an argument (a bug in the caller of LAPACK).
        case illegalArgument
    }

    public var code: Code
    /// LAPACK's `info`.
    public var info: Int
    public var message: String
    public var description: String { message }
}

extension Tensor {
    /// X such that A·X = B, by LU factorisation with partial pivoting (LAPACK `?gesv`).
    ///
    /// A is n×n; B is n×r or a vector of n. Throws `LinearAlgebraError.singular` when A is
    /// exactly singular. The result has B's shape.
    public static func solve(_ a: Tensor, _ b: Tensor) throws(LinearAlgebraError) -> Tensor {
        try solve(a, b, routine: "gesv") { n, nrhs, pa, pb in Scalar.gesv(n: n, nrhs: nrhs, a: pa, b: pb) }
    }

    /// X such that A·X = B for symmetric positive-definite A, by Cholesky factorisation
    /// A = L·Lᵀ (LAPACK `?posv`, lower triangle read). Throws
    /// `LinearAlgebraError.notPositiveDefinite` when A is not positive definite.
    public static func choleskySolve(_ a: Tensor, _ b: Tensor) throws(LinearAlgebraError) -> Tensor {
        try solve(a, b, routine: "posv") { n, nrhs, pa, pb in Scalar.posv(n: n, nrhs: nrhs, a: pa, b: pb) }
    }

    private static func solve(
        _ a: Tensor, _ b: Tensor, routine: String,
        _ call: (Int, Int, UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>) -> Int
    ) throws(LinearAlgebraError) -> Tensor {
        precondition(a.rank == 2 && a.shape[0] == a.shape[1], "\(routine) needs a square matrix A, got \(a.shape)")
        let n = a.shape[0]
        precondition((b.rank == 1 || b.rank == 2) && b.shape[0] == n,
                     "\(routine) shape mismatch: A is \(a.shape), B is \(b.shape)")
        let nrhs = b.rank == 1 ? 1 : b.shape[1]
        if n == 0 || nrhs == 0 { return b }
        var factors = a.scalars
        var solution = b
        let info = factors.withUnsafeMutableBufferPointer { pa in
            solution.storage.withUnsafeMutableBufferPointer { pb in
                guard let pa = pa.baseAddress, let pb = pb.baseAddress else { return -1 }
                return call(n, nrhs, pa, pb)
            }
        }
        switch info {
        case 0:
            return solution
        case ..<0:
            throw LinearAlgebraError(code: .illegalArgument, info: info,
                                     message: "LAPACK \(routine) rejected argument \(-info)")
        default:
            if routine == "posv" {
                throw LinearAlgebraError(
                    code: .notPositiveDefinite, info: info,
                    message: "matrix \(a.shape) is not positive definite: leading minor of order \(info) is not positive")
            }
            throw LinearAlgebraError(
                code: .singular, info: info,
                message: "matrix \(a.shape) is singular: U(\(info),\(info)) is exactly zero")
        }
    }
}
