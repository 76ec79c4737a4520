internal import CBLAS
import Foundation

extension Float: TensorScalar {
    public static func gemm(
        transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA.cblas, transposeB.cblas,
            blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb),
            beta, c, blasInt(ldc))
    }

    public static func gemv(
        transpose: Transpose, m: Int, n: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(
            CblasRowMajor, transpose.cblas, blasInt(m), blasInt(n), alpha, a, blasInt(lda),
            x, 1, beta, y, 1)
    }

    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(blasInt(count), alpha, x, 1, y, 1)
    }

    public static func scal(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        cblas_sscal(blasInt(count), alpha, x, 1)
    }

    public static func dot(count: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        cblas_sdot(blasInt(count), x, 1, y, 1)
    }

    public static func nrm2(count: Int, x: UnsafePointer<Float>) -> Float {
        cblas_snrm2(blasInt(count), x, 1)
    }

    public static func gesv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>) -> Int {
        var pivots = [Int32](repeating: 0, count: max(n, 1))
        return Int(LAPACKE_sgesv(
            LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), a, Int32(max(n, 1)),
            &pivots, b, Int32(max(nrhs, 1))))
    }

    public static func posv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>) -> Int {
        Int(LAPACKE_sposv(
            LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(nrhs),
            a, Int32(max(n, 1)), b, Int32(max(nrhs, 1))))
    }

    public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    public static func log(_ x: Float) -> Float { Foundation.log(x) }
    public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
}
