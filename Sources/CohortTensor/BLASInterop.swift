internal import CBLAS

extension Transpose {
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// BLAS takes 32-bit sizes; a larger one is a programming error, not bad input.
@inline(__always)
func blasInt(_ value: Int) -> Int32 {
    precondition(value >= 0 && value <= Int(Int32.max), "BLAS size \(value) is outside 0...\(Int32.max)")
    return Int32(value)
}
