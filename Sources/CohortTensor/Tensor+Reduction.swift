extension Tensor {
    /// The sum of all elements, accumulated in Double.
    public func sum() -> Scalar {
        var total = 0.0
        for x in scalars { total += Double(x) }
        return Scalar(total)
    }

    /// The mean of all elements; NaN for an empty tensor.
    public func mean() -> Scalar { count == 0 ? .nan : Scalar(Double(sum()) / Double(count)) }

    /// Sums of a matrix along an axis: axis 0 sums each column (a vector of `columnCount`),
    /// axis 1 sums each row (a vector of `rowCount`).
    @inlinable
    public func sum(alongAxis axis: Int) -> Tensor {
        precondition(rank == 2, "sum along an axis needs a matrix, got \(shape)")
        precondition(axis == 0 || axis == 1, "axis must be 0 or 1, got \(axis)")
        let (rows, columns) = (shape[0], shape[1])
        var result = [Scalar](repeating: 0, count: axis == 0 ? columns : rows)
        scalars.withUnsafeBufferPointer { m in
            result.withUnsafeMutableBufferPointer { r in
                for i in 0..<rows {
                    let row = i * columns
                    if axis == 0 {
                        for j in 0..<columns { r[j] += m[row + j] }
                    } else {
                        var total: Scalar = 0
                        for j in 0..<columns { total += m[row + j] }
                        r[i] = total
                    }
                }
            }
        }
        return Tensor(result)
    }

    /// Means of a matrix along an axis (see `sum(alongAxis:)`); NaN where the axis is empty.
    public func mean(alongAxis axis: Int) -> Tensor {
        let sums = sum(alongAxis: axis)
        let n = Scalar(shape[axis])
        return sums.map { $0 / n }
    }

    /// The index of the largest element of each row of a matrix (the first on ties).
    /// NaN is never chosen over a number.
    @inlinable
    public func argmaxOfEachRow() -> [Int] {
        precondition(rank == 2, "argmax of each row needs a matrix, got \(shape)")
        let (rows, columns) = (shape[0], shape[1])
        precondition(columns > 0 || rows == 0, "argmax of rows with no columns, shape \(shape)")
        return (0..<rows).map { i in
            let start = i * columns
            var best = 0
            for j in 1..<columns {
                let candidate = scalars[start + j], current = scalars[start + best]
                if candidate > current || (current.isNaN && !candidate.isNaN) { best = j }
            }
            return best
        }
    }

    /// log Σⱼ exp(xᵢⱼ) for each row i, computed stably as mᵢ + log Σⱼ exp(xᵢⱼ − mᵢ) with
    /// mᵢ = maxⱼ xᵢⱼ, so no term overflows. A row of −∞ gives −∞; an empty row gives −∞.
    public func logSumExpOfEachRow() -> Tensor {
        precondition(rank == 2, "log-sum-exp of each row needs a matrix, got \(shape)")
        let (rows, columns) = (shape[0], shape[1])
        var result = [Scalar](repeating: -.infinity, count: rows)
        for i in 0..<rows {
            let row = scalars[(i * columns)..<((i + 1) * columns)]
            guard let m = row.max(), m.isFinite else {
                result[i] = row.max() ?? -.infinity
                continue
            }
            var total: Scalar = 0
            for x in row { total += Scalar.exp(x - m) }
            result[i] = m + Scalar.log(total)
        }
        return Tensor(result)
    }

    /// The softmax of each row, exp(xᵢⱼ − mᵢ) / Σₖ exp(xᵢₖ − mᵢ) with mᵢ the row maximum,
    /// which cannot overflow; each row sums to 1.
    @inlinable
    public func softmaxOfEachRow() -> Tensor {
        var result = self
        result.applySoftmaxToEachRow()
        return result
    }

    /// Replaces each row of this matrix by its softmax, in place.
    @inlinable
    public mutating func applySoftmaxToEachRow() {
        precondition(rank == 2, "softmax of each row needs a matrix, got \(shape)")
        let (rows, columns) = (shape[0], shape[1])
        guard columns > 0 else { return }
        storage.withUnsafeMutableBufferPointer { m in
            for i in 0..<rows {
                let start = i * columns
                var maximum = m[start]
                for j in 1..<columns { maximum = Swift.max(maximum, m[start + j]) }
                var total: Scalar = 0
                for j in 0..<columns {
                    let e = Scalar.exp(m[start + j] - maximum)
                    m[start + j] = e
                    total += e
                }
                let inverse = 1 / total
                for j in 0..<columns { m[start + j] *= inverse }
            }
        }
    }
}
