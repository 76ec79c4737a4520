import CohortTensor

/// An ordered set of named tensors: Cohort's one currency for model weights.
///
/// Training, clipping, aggregation and serialisation all use it. Names follow
/// `layer.part` (`dense0.weight`, `dense0.bias`); the order is the order of insertion and
/// defines the layout of the flat vector (`flattened()`), on which the federation
/// computes deltas, norms and sums.
public struct NamedTensors: Sendable, Equatable {
    /// The names, in order.
    public private(set) var names: [String] = []
    /// The tensors, in the order of `names`.
    public internal(set) var tensors: [Tensor<Float>] = []
    private var indexByName: [String: Int] = [:]

    /// An empty set.
    public init() {}

    /// A set holding `pairs` in order; names must be unique.
    public init(_ pairs: [(String, Tensor<Float>)]) {
        for (name, tensor) in pairs { append(tensor, named: name) }
    }

    /// Adds a tensor at the end; the name must be new.
    public mutating func append(_ tensor: Tensor<Float>, named name: String) {
        precondition(indexByName[name] == nil, "duplicate tensor name \"\(name)\"")
        indexByName[name] = names.count
        names.append(name)
        tensors.append(tensor)
    }

    /// The number of tensors.
    public var count: Int { names.count }

    /// The total number of scalars over all tensors.
    public var scalarCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// The tensor named `name`, or nil. Setting requires the same shape as before.
    public subscript(name: String) -> Tensor<Float>? {
        get { indexByName[name].map { tensors[$0] } }
        set {
            guard let index = indexByName[name] else {
                if let newValue { append(newValue, named: name) }
                return
            }
            guard let newValue else { preconditionFailure("removing tensor \"\(name)\" is not supported") }
            precondition(newValue.shape == tensors[index].shape,
                         "tensor \"\(name)\" has shape \(tensors[index].shape), cannot assign \(newValue.shape)")
            tensors[index] = newValue
        }
    }

    /// The tensor at position `index`.
    public subscript(index: Int) -> Tensor<Float> {
        get { tensors[index] }
        set {
            precondition(newValue.shape == tensors[index].shape,
                         "tensor \"\(names[index])\" has shape \(tensors[index].shape), cannot assign \(newValue.shape)")
            tensors[index] = newValue
        }
    }

    /// Runs `body` on the tensor at `index` in place (no copy of its storage); the shape
    /// must not change.
    public mutating func withTensor<R>(at index: Int, _ body: (inout Tensor<Float>) throws -> R) rethrows -> R {
        let shape = tensors[index].shape
        defer { precondition(tensors[index].shape == shape, "tensor \"\(names[index])\" changed shape in place") }
        return try body(&tensors[index])
    }

    /// (name, shape) of every tensor, in order: what two sets must share to be combined.
    public var layout: [(name: String, shape: [Int])] { zip(names, tensors).map { ($0, $1.shape) } }

    /// True when `other` has the same names, in the same order, with the same shapes.
    public func hasSameLayout(as other: NamedTensors) -> Bool {
        names == other.names && zip(tensors, other.tensors).allSatisfy { $0.shape == $1.shape }
    }

    /// All scalars concatenated in order: the flat vector view.
    public func flattened() -> [Float] {
        var flat = [Float]()
        flat.reserveCapacity(scalarCount)
        for tensor in tensors { flat.append(contentsOf: tensor.scalars) }
        return flat
    }

    /// A set with the layout of `template` and the scalars of `flat`, which must have
    /// exactly `template.scalarCount` elements.
    public init(flat: [Float], like template: NamedTensors) {
        precondition(flat.count == template.scalarCount,
                     "flat vector has \(flat.count) scalars, layout needs \(template.scalarCount)")
        var offset = 0
        for (name, tensor) in zip(template.names, template.tensors) {
            append(Tensor(shape: tensor.shape, scalars: Array(flat[offset..<(offset + tensor.count)])), named: name)
            offset += tensor.count
        }
    }

    /// The same layout filled with zeros.
    public func zerosLike() -> NamedTensors {
        NamedTensors(zip(names, tensors).map { ($0, Tensor<Float>.zeros($1.shape)) })
    }

    /// self ← self + α·other, tensor by tensor (layouts must match).
    public mutating func add(_ other: NamedTensors, scaledBy alpha: Float = 1) {
        precondition(hasSameLayout(as: other), "layout mismatch: \(layout) and \(other.layout)")
        for index in tensors.indices { tensors[index].add(other.tensors[index], scaledBy: alpha) }
    }

    /// self ← α·self.
    public mutating func scale(by alpha: Float) {
        for index in tensors.indices { tensors[index].scale(by: alpha) }
    }

    /// The L2 norm over all scalars of all tensors, ‖θ‖₂.
    public var l2Norm: Float {
        var total = 0.0
        for tensor in tensors {
            let norm = Double(tensor.l2Norm)
            total += norm * norm
        }
        return Float(total.squareRoot())
    }
}
