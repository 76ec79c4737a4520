internal import CBLAS
import Foundation

extension Double: TensorScalar {
    public static func gemm(
        transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transposeA.cblas, transposeB.cblas,
            blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb),
            beta, c, blasInt(ldc))
    }

    public static func gemv(
        transpose: Transpose, m: Int, n: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, x: UnsafePointer<Double>,
        beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(
            CblasRowMajor, transpose.cblas, blasInt(m), blasInt(n), alpha, a, blasInt(lda),
            x, 1, beta, y, 1)
    }

    public static func axpy(count: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
        cblas_daxpy(blasInt(count), alpha, x, 1, y, 1)
    }

    public static func scal(count: Int, alpha: Double, x: UnsafeMutablePointer<Double>) {
        cblas_dscal(blasInt(count), alpha, x, 1)
    }

    public static func dot(count: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>) -> Double {
        cblas_ddot(blasInt(count), x, 1, y, 1)
    }

    public static func nrm2(count: Int, x: UnsafePointer<Double>) -> Double {
        cblas_dnrm2(blasInt(count), x, 1)
    }

    public static func gesv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, b: UnsafeMutablePointer<Double>) -> Int {
        var pivots = [Int32](repeating: 0, count: max(n, 1))
        return Int(LAPACKE_dgesv(
            LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), a, Int32(max(n, 1)),
            &pivots, b, Int32(max(nrhs, 1))))
    }

    public static func posv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, b: UnsafeMutablePointer<Double>) -> Int {
        Int(LAPACKE_dposv(
            LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(nrhs),
            a, Int32(max(n, 1)), b, Int32(max(nrhs, 1))))
    }

    public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    public static func log(_ x: Double) -> Double { Foundation.log(x) }
    public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
}
