extension Tensor {
    /// The transpose of a matrix, materialised (use the gemm transpose flags to avoid the copy).
    @inlinable
    public func transposed() -> Tensor {
        precondition(rank == 2, "transpose needs a matrix, got \(shape)")
        let (rows, columns) = (shape[0], shape[1])
        var result = [Scalar](repeating: 0, count: count)
        // Blocked so both sides stay in cache for large matrices.
        let block = 32
        scalars.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                for i0 in stride(from: 0, to: rows, by: block) {
                    for j0 in stride(from: 0, to: columns, by: block) {
                        for i in i0..<Swift.min(i0 + block, rows) {
                            for j in j0..<Swift.min(j0 + block, columns) {
                                target[j * rows + i] = source[i * columns + j]
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [columns, rows], scalars: result)
    }

    /// Rows `range` of a matrix (or elements of a vector), copied.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1, "row slice needs rank ≥ 1, got \(shape)")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows \(range) are outside shape \(shape)")
        let stride = count / Swift.max(shape[0], 1)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, scalars: Array(scalars[(range.lowerBound * stride)..<(range.upperBound * stride)]))
    }

    /// The rows at `indices` of a matrix, in that order (a gather, for minibatches).
    @inlinable
    public func rows<Indices: Collection>(at indices: Indices) -> Tensor where Indices.Element == Int {
        precondition(rank == 2, "row gather needs a matrix, got \(shape)")
        let columns = shape[1]
        var result = [Scalar]()
        result.reserveCapacity(indices.count * columns)
        for i in indices {
            precondition(i >= 0 && i < shape[0], "row \(i) is outside shape \(shape)")
            result.append(contentsOf: scalars[(i * columns)..<((i + 1) * columns)])
        }
        return Tensor(shape: [indices.count, columns], scalars: result)
    }

    /// Row `index` of a matrix as a vector.
    public func row(_ index: Int) -> Tensor {
        rows(index..<(index + 1)).reshaped([shape.count == 2 ? shape[1] : 1])
    }

    /// The matrices stacked vertically; all must have the same number of columns.
    public static func concatenatingRows(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor.zeros([0, 0]) }
        precondition(first.rank == 2, "row concatenation needs matrices, got \(first.shape)")
        var scalars = [Scalar]()
        scalars.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts {
            precondition(part.rank == 2 && part.shape[1] == first.shape[1],
                         "row concatenation shape mismatch: \(first.shape) and \(part.shape)")
            scalars.append(contentsOf: part.scalars)
        }
        return Tensor(shape: [scalars.count / Swift.max(first.shape[1], 1), first.shape[1]], scalars: scalars)
    }

    /// The n×n identity matrix.
    public static func identity(_ n: Int) -> Tensor {
        var result = Tensor.zeros([n, n])
        for i in 0..<n { result.storage[i * n + i] = 1 }
        return result
    }
}

extension Tensor {
    /// Changes the number of rows of a matrix in place, keeping the storage's capacity:
    /// rows beyond the old count are zero, and shrinking then growing back within the
    /// largest size seen allocates nothing (for minibatches of varying size).
    @inlinable
    public mutating func resizeRows(to rows: Int) {
        precondition(rank == 2 && rows >= 0, "resizeRows needs a matrix and rows ≥ 0, got \(shape) and \(rows)")
        let target = rows * storageShape[1]
        if target < storage.count {
            storage.removeLast(storage.count - target)
        } else if target > storage.count {
            storage.append(contentsOf: repeatElement(0, count: target - storage.count))
        }
        storageShape[0] = rows
    }
}
