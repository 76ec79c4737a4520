internal import CCohortSupport

extension Tensor where Scalar == Float {
    /// Writes ‖row i‖₂² of this matrix into `norms[i]` for every row; `norms` must have
    /// room for them. One call for the whole matrix (DP-SGD's per-example clipping needs
    /// the norms of every row of a batch, and rows are as short as 2 values), with
    /// AVX-512 where the processor has it and the same floats without.
    public func squaredRowNorms(into norms: inout [Float]) {
        precondition(rank == 2, "row norms need a matrix, got \(shape)")
        let rows = shape[0], columns = shape[1]
        precondition(norms.count >= rows, "room for \(norms.count) row norms, the matrix has \(rows) rows")
        withUnsafeBufferPointer { m in
            norms.withUnsafeMutableBufferPointer { out in
                guard let m = m.baseAddress, let out = out.baseAddress else { return }
                cohort_row_squared_norms(m, rows, columns, out)
            }
        }
    }

    /// Multiplies row i of this matrix by `factors[i]` (rows whose factor is 1 are left
    /// untouched).
    public mutating func scaleRows(by factors: [Float]) {
        precondition(rank == 2, "row scaling needs a matrix, got \(shape)")
        let rows = shape[0], columns = shape[1]
        precondition(factors.count >= rows, "\(factors.count) row factors, the matrix has \(rows) rows")
        factors.withUnsafeBufferPointer { f in
            withUnsafeMutableBufferPointer { m in
                guard let m = m.baseAddress, let f = f.baseAddress else { return }
                cohort_scale_rows(m, rows, columns, f)
            }
        }
    }
}
