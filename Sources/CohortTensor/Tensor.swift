/// A dense, row-major tensor with value semantics.
///
/// Storage is one contiguous Swift array, so copies share memory until one of them is
/// written (copy-on-write), and `Tensor` is `Sendable` by construction. Rank 2 is the
/// common case (a batch of rows); rank 1 holds vectors and rank 0 a scalar. Operations
/// that need matching shapes stop with a message naming both shapes when they do not.
///
/// `Tensor<Float>` is the currency of training. `Tensor<Double>` is for numerics that
/// need the precision (exact reference solutions by LAPACK).
public struct Tensor<Scalar: TensorScalar>: Sendable, Equatable, Codable {
    /// The extent of each dimension, outermost first.
    @inlinable public var shape: [Int] { storageShape }
    /// The elements in row-major order; `scalars.count` is the product of `shape`.
    @inlinable public var scalars: [Scalar] { storage }

    @usableFromInline var storageShape: [Int]
    @usableFromInline var storage: [Scalar]

    enum CodingKeys: String, CodingKey {
        case storageShape = "shape"
        case storage = "scalars"
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    @inlinable
    public init(shape: [Int], scalars: [Scalar]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(
            Tensor.elementCount(of: shape) == scalars.count,
            "shape \(shape) needs \(Tensor.elementCount(of: shape)) scalars, got \(scalars.count)")
        self.storageShape = shape
        self.storage = scalars
    }

    /// A tensor of the given shape with every element equal to `value`.
    @inlinable
    public init(shape: [Int], repeating value: Scalar) {
        self.init(shape: shape, scalars: [Scalar](repeating: value, count: Tensor.elementCount(of: shape)))
    }

    /// A tensor of the given shape filled with zeros.
    @inlinable
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A vector (rank 1) holding `scalars`.
    @inlinable
    public init(_ scalars: [Scalar]) { self.init(shape: [scalars.count], scalars: scalars) }

    /// A matrix from its rows; every row must have the same length.
    public init(rows: [[Scalar]]) {
        let columns = rows.first?.count ?? 0
        for (index, row) in rows.enumerated() {
            precondition(row.count == columns, "row \(index) has \(row.count) elements, row 0 has \(columns)")
        }
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// The number of elements of a tensor with this shape (1 for rank 0).
    @inlinable
    public static func elementCount(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// The number of elements.
    @inlinable public var count: Int { scalars.count }
    /// Rows of a matrix (the first dimension).
    @inlinable public var rowCount: Int {
        precondition(rank == 2, "rowCount needs a matrix, shape is \(shape)")
        return shape[0]
    }
    /// Columns of a matrix (the second dimension).
    @inlinable public var columnCount: Int {
        precondition(rank == 2, "columnCount needs a matrix, shape is \(shape)")
        return shape[1]
    }

    /// The element at row `row` and column `column` of a matrix.
    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(rank == 2 && row >= 0 && row < shape[0] && column >= 0 && column < shape[1],
                         "index [\(row), \(column)] is outside shape \(shape)")
            return scalars[row * shape[1] + column]
        }
        set {
            precondition(rank == 2 && row >= 0 && row < shape[0] && column >= 0 && column < shape[1],
                         "index [\(row), \(column)] is outside shape \(shape)")
            storage[row * shape[1] + column] = newValue
        }
    }

    /// Read-only access to the contiguous elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Mutable access to the contiguous elements; copies first if the storage is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// The same elements viewed with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(
            Tensor.elementCount(of: newShape) == count,
            "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        return Tensor(shape: newShape, scalars: scalars)
    }

    /// This tensor's elements as a single-precision tensor.
    public func converted<Other: TensorScalar>(to: Other.Type = Other.self) -> Tensor<Other> {
        Tensor<Other>(shape: shape, scalars: scalars.map { Other($0) })
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        if rank == 2 && count <= 64 {
            let rows = (0..<shape[0]).map { r in
                (0..<shape[1]).map { c in "\(scalars[r * shape[1] + c])" }.joined(separator: ", ")
            }
            return "Tensor\(shape)[\n  " + rows.joined(separator: "\n  ") + "\n]"
        }
        let head = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 8 ? ", …" : "")]"
    }
}
