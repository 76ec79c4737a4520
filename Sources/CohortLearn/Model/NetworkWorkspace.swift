import CohortTensor

/// Every buffer a forward and backward pass needs, reused from step to step.
///
/// `values[0]` is the input batch; `values[k + 1]` is the output of operation k. Each
/// `gradients[k]` has the shape of `values[k]` and holds ∂loss/∂`values[k]`. Batches
/// may change size (Poisson sampling does): buffers keep their capacity, so a smaller
/// or equal batch allocates nothing.
public struct NetworkWorkspace: Sendable {
    public internal(set) var values: [Tensor<Float>]
    public internal(set) var gradients: [Tensor<Float>]
    /// Dropout masks (0 or 1/(1 − rate)) per operation; empty for other operations.
    var masks: [Tensor<Float>]
    /// Per-example squared gradient norms, for DP-SGD.
    public internal(set) var squaredNorms: [Float]
    /// DP-SGD's scratch: one layer's squared row norms of its input and of its output
    /// gradient, and each example's clip factor min(1, C/‖gᵢ‖).
    var inputRowNorms: [Float]
    var outputRowNorms: [Float]
    var clipFactors: [Float]
    /// The current batch size.
    public private(set) var batchSize: Int

    /// Buffers for `network` with room for `capacity` examples per batch.
    public init(for network: Network, capacity: Int) {
        var widths = [network.inputWidth]
        var width = network.inputWidth
        for operation in network.operations {
            if case .dense(_, _, let outputs) = operation { width = outputs }
            widths.append(width)
        }
        values = widths.map { Tensor<Float>.zeros([capacity, $0]) }
        gradients = values
        masks = network.operations.enumerated().map { index, operation in
            if case .dropout = operation { return Tensor<Float>.zeros([capacity, widths[index]]) }
            return Tensor<Float>.zeros([0, 0])
        }
        squaredNorms = [Float](repeating: 0, count: capacity)
        inputRowNorms = squaredNorms
        outputRowNorms = squaredNorms
        clipFactors = squaredNorms
        batchSize = capacity
    }

    /// Sets the batch size for the next pass.
    public mutating func setBatchSize(_ size: Int) {
        guard size != batchSize else { return }
        for index in values.indices {
            values[index].resizeRows(to: size)
            gradients[index].resizeRows(to: size)
        }
        for index in masks.indices where masks[index].shape[1] > 0 {
            masks[index].resizeRows(to: size)
        }
        if squaredNorms.count < size {
            squaredNorms.append(contentsOf: repeatElement(0, count: size - squaredNorms.count))
            inputRowNorms = squaredNorms
            outputRowNorms = squaredNorms
            clipFactors = squaredNorms
        }
        batchSize = size
    }

    /// Copies rows `indices` of `data` into the input buffer and sets the batch size.
    public mutating func loadBatch(from data: Tensor<Float>, rows indices: ArraySlice<Int>) {
        let width = values[0].shape[1]
        precondition(data.rank == 2 && data.shape[1] == width,
                     "batch data shape mismatch: data \(data.shape), network input width \(width)")
        setBatchSize(indices.count)
        data.withUnsafeBufferPointer { source in
            values[0].withUnsafeMutableBufferPointer { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                for (position, row) in indices.enumerated() {
                    precondition(row >= 0 && row < data.shape[0], "row \(row) outside data \(data.shape)")
                    (to + position * width).update(from: from + row * width, count: width)
                }
            }
        }
    }

    /// The logits of the last forward pass.
    public var output: Tensor<Float> {
        guard let last = values.last else { preconditionFailure("empty workspace") }
        return last
    }
}
