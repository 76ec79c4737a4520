import CohortTensor

/// A sequential network instantiated from a `ModelDefinition` for a given input and
/// output width: the operations in order and the parameters they use.
///
/// Parameters are one `NamedTensors`: dense layer i has `dense{i}.weight` of shape
/// [inputs, units] (so a batch X of shape [B, inputs] maps to X·W) and `dense{i}.bias`
/// of shape [units]. Forward and backward passes run on a `NetworkWorkspace`, which
/// holds every intermediate buffer so that a training step allocates nothing.
public struct Network: Sendable, Equatable {
    /// One step of the forward pass.
    public enum Operation: Sendable, Equatable {
        case dense(index: Int, inputs: Int, outputs: Int)
        case activation(Activation)
        case dropout(rate: Float)
    }

    /// The definition this network was built from.
    public let definition: ModelDefinition
    /// Width of the input (encoded features).
    public let inputWidth: Int
    /// Width of the output (logits).
    public let outputWidth: Int
    /// The operations, input to output.
    public let operations: [Operation]
    /// The weights and biases.
    public var parameters: NamedTensors

    /// Builds the network and initialises its weights: He initialisation for layers
    /// followed by ReLU or GELU (He et al., "Delving Deep into Rectifiers", ICCV 2015,
    /// std √(2/fan_in)), Glorot/Xavier otherwise (Glorot and Bengio, AISTATS 2010,
    /// std √(2/(fan_in + fan_out))); biases start at zero.
    public init<G: RandomNumberGenerator>(
        definition: ModelDefinition, inputWidth: Int, outputWidth: Int, using generator: inout G
    ) {
        self.init(definition: definition, inputWidth: inputWidth, outputWidth: outputWidth) { shape, std in
            Tensor<Float>.randomNormal(shape, standardDeviation: std, using: &generator)
        }
    }

    /// Builds the network holding `parameters`, flattened in the layout of `parameters`
    /// (e.g. a global model received from the orchestrator): no random initialisation.
    /// Nil when the count does not match the definition.
    public init?(definition: ModelDefinition, inputWidth: Int, outputWidth: Int, flatParameters: [Float]) {
        self.init(definition: definition, inputWidth: inputWidth, outputWidth: outputWidth) { shape, _ in
            Tensor<Float>.zeros(shape)
        }
        guard parameters.scalarCount == flatParameters.count else { return nil }
        parameters = NamedTensors(flat: flatParameters, like: parameters)
    }

    /// The names and shapes of the network's parameters, in flattening order (weights are
    /// zeros, not drawn).
    public static func layout(definition: ModelDefinition, inputWidth: Int, outputWidth: Int) -> [(name: String, shape: [Int])] {
        Network(definition: definition, inputWidth: inputWidth, outputWidth: outputWidth) { shape, _ in
            Tensor<Float>.zeros(shape)
        }.parameters.layout
    }

    private init(
        definition: ModelDefinition, inputWidth: Int, outputWidth: Int,
        weight: (_ shape: [Int], _ standardDeviation: Float) -> Tensor<Float>
    ) {
        precondition(inputWidth >= 1 && outputWidth >= 1, "network widths must be ≥ 1, got \(inputWidth)→\(outputWidth)")
        self.definition = definition
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        var operations = [Operation]()
        var parameters = NamedTensors()
        var width = inputWidth
        var denseCount = 0
        for (position, layer) in definition.layers.enumerated() {
            switch layer {
            case .dense(let units):
                let outputs: Int
                switch units {
                case .fixed(let n): outputs = n
                case .output: outputs = outputWidth
                }
                let next = definition.layers.dropFirst(position + 1).first
                let rectified = next == .relu || next == .gelu
                let std = rectified ? (2.0 / Double(width)).squareRoot() : (2.0 / Double(width + outputs)).squareRoot()
                parameters.append(weight([width, outputs], Float(std)), named: "dense\(denseCount).weight")
                parameters.append(Tensor<Float>.zeros([outputs]), named: "dense\(denseCount).bias")
                operations.append(.dense(index: denseCount, inputs: width, outputs: outputs))
                denseCount += 1
                width = outputs
            case .relu: operations.append(.activation(.relu))
            case .tanh: operations.append(.activation(.tanh))
            case .sigmoid: operations.append(.activation(.sigmoid))
            case .gelu: operations.append(.activation(.gelu))
            case .dropout(let rate): operations.append(.dropout(rate: Float(rate)))
            }
        }
        precondition(width == outputWidth,
                     "model '\(definition.name)' ends with \(width) outputs, the task needs \(outputWidth)")
        self.operations = operations
        self.parameters = parameters
    }

    /// The number of dense layers.
    public var denseLayerCount: Int {
        operations.reduce(0) { count, operation in
            if case .dense = operation { return count + 1 }
            return count
        }
    }

    /// Names of the weight tensors (which the L2 penalty applies to).
    public var weightNames: [String] { (0..<denseLayerCount).map { "dense\($0).weight" } }

    /// A one-line summary, e.g. `30→64→relu→64→relu→1 (6,337 parameters)`.
    public var summary: String {
        var parts = ["\(inputWidth)"]
        for operation in operations {
            switch operation {
            case .dense(_, _, let outputs): parts.append("\(outputs)")
            case .activation(let activation): parts.append("\(activation)")
            case .dropout(let rate): parts.append("dropout(\(rate))")
            }
        }
        return parts.joined(separator: "→") + " (\(parameters.scalarCount) parameters)"
    }
}
