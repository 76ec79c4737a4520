extension Tensor {
    /// A tensor of `f` applied to every element.
    @inlinable
    public func map(_ f: (Scalar) -> Scalar) -> Tensor {
        Tensor(shape: shape, scalars: scalars.map(f))
    }

    /// Applies `f` to every element in place.
    @inlinable
    public mutating func mapInPlace(_ f: (Scalar) -> Scalar) {
        storage.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = f(buffer[i]) }
        }
    }

    /// A tensor of `f` applied to matching elements of `self` and `other` (same shape).
    @inlinable
    public func zipMap(_ other: Tensor, _ f: (Scalar, Scalar) -> Scalar) -> Tensor {
        precondition(shape == other.shape, "element-wise shape mismatch: \(shape) and \(other.shape)")
        var result = [Scalar]()
        result.reserveCapacity(count)
        scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                for i in 0..<a.count { result.append(f(a[i], b[i])) }
            }
        }
        return Tensor(shape: shape, scalars: result)
    }

    /// Replaces each element x of `self` with f(x, y) for the matching y of `other`.
    @inlinable
    public mutating func zipMapInPlace(_ other: Tensor, _ f: (Scalar, Scalar) -> Scalar) {
        precondition(shape == other.shape, "element-wise shape mismatch: \(shape) and \(other.shape)")
        other.scalars.withUnsafeBufferPointer { b in
            storage.withUnsafeMutableBufferPointer { a in
                for i in 0..<a.count { a[i] = f(a[i], b[i]) }
            }
        }
    }

    @inlinable public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, +) }
    @inlinable public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, -) }
    /// Element-wise (Hadamard) product.
    @inlinable public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, *) }
    @inlinable public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, /) }
    @inlinable public static func += (lhs: inout Tensor, rhs: Tensor) { lhs.zipMapInPlace(rhs, +) }
    @inlinable public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs.zipMapInPlace(rhs, -) }
    @inlinable public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs.zipMapInPlace(rhs, *) }

    @inlinable public static func + (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.map { $0 + rhs } }
    @inlinable public static func - (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.map { $0 - rhs } }
    @inlinable public static func * (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.map { $0 * rhs } }
    @inlinable public static func * (lhs: Scalar, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
    @inlinable public static func / (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.map { $0 / rhs } }
    @inlinable public static prefix func - (operand: Tensor) -> Tensor { operand.map { -$0 } }

    /// Adds the vector `bias` to every row of this matrix in place (row broadcast).
    @inlinable
    public mutating func addToEachRow(_ bias: Tensor) {
        precondition(rank == 2, "row-broadcast add needs a matrix, got \(shape)")
        precondition(bias.count == shape[1] && bias.rank <= 2,
                     "row-broadcast shape mismatch: matrix \(shape), bias \(bias.shape)")
        let columns = shape[1]
        bias.scalars.withUnsafeBufferPointer { b in
            storage.withUnsafeMutableBufferPointer { m in
                var offset = 0
                while offset < m.count {
                    for j in 0..<columns { m[offset + j] += b[j] }
                    offset += columns
                }
            }
        }
    }

    /// This matrix with the vector `bias` added to every row.
    @inlinable
    public func addingToEachRow(_ bias: Tensor) -> Tensor {
        var result = self
        result.addToEachRow(bias)
        return result
    }

    /// The largest absolute difference between matching elements (shapes must match).
    public func maxAbsoluteDifference(_ other: Tensor) -> Scalar {
        precondition(shape == other.shape, "comparison shape mismatch: \(shape) and \(other.shape)")
        var worst: Scalar = 0
        for i in 0..<count { worst = Swift.max(worst, Swift.abs(scalars[i] - other.scalars[i])) }
        return worst
    }
}
