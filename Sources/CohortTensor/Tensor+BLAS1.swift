extension Tensor {
    /// self ← self + α·x through BLAS `?axpy`; shapes must match.
    @inlinable
    public mutating func add(_ x: Tensor, scaledBy alpha: Scalar) {
        precondition(shape == x.shape, "axpy shape mismatch: \(shape) and \(x.shape)")
        let n = count
        if n == 0 { return }
        x.scalars.withUnsafeBufferPointer { px in
            storage.withUnsafeMutableBufferPointer { py in
                guard let px = px.baseAddress, let py = py.baseAddress else { return }
                Scalar.axpy(count: n, alpha: alpha, x: px, y: py)
            }
        }
    }

    /// self ← α·self through BLAS `?scal`.
    ///
    /// OpenBLAS's `?scal` with α = 0 leaves NaN and ∞ as they are on some kernels; this
    /// writes zeros then, as a caller means by "scale by zero".
    @inlinable
    public mutating func scale(by alpha: Scalar) {
        let n = count
        if n == 0 { return }
        if alpha == 0 {
            storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            return
        }
        storage.withUnsafeMutableBufferPointer { px in
            guard let px = px.baseAddress else { return }
            Scalar.scal(count: n, alpha: alpha, x: px)
        }
    }

    /// α·self, a new tensor.
    @inlinable
    public func scaled(by alpha: Scalar) -> Tensor {
        var result = self
        result.scale(by: alpha)
        return result
    }

    /// The inner product of all elements, ⟨self, other⟩, through BLAS `?dot`.
    @inlinable
    public func dot(_ other: Tensor) -> Scalar {
        precondition(count == other.count, "dot shape mismatch: \(shape) and \(other.shape)")
        if count == 0 { return 0 }
        return scalars.withUnsafeBufferPointer { px in
            other.scalars.withUnsafeBufferPointer { py in
                guard let x = px.baseAddress, let y = py.baseAddress else { return 0 }
                return Scalar.dot(count: px.count, x: x, y: y)
            }
        }
    }

    /// The L2 norm of all elements, ‖self‖₂, through BLAS `?nrm2` (no overflow for large values).
    @inlinable
    public var l2Norm: Scalar {
        if count == 0 { return 0 }
        return scalars.withUnsafeBufferPointer { px in
            guard let x = px.baseAddress else { return 0 }
            return Scalar.nrm2(count: px.count, x: x)
        }
    }
}
