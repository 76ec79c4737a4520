/// One layer of a sequential model definition.
///
/// In YAML a layer is either a bare word (`relu`, `tanh`, `sigmoid`, `gelu`) or a
/// one-key map (`dense: 64`, `dense: output`, `dropout: 0.2`).
public enum LayerDefinition: Sendable, Equatable, Codable {
    /// The width of a dense layer: a number, or the task's output width.
    public enum Units: Sendable, Equatable {
        case fixed(Int)
        /// One logit for a binary label, one per class for several.
        case output
    }

    /// y = x·W + b, W of shape [inputs, units].
    case dense(Units)
    /// max(0, x).
    case relu
    /// tanh(x).
    case tanh
    /// 1 / (1 + e⁻ˣ).
    case sigmoid
    /// x·Φ(x), the Gaussian error linear unit (Hendrycks and Gimpel 2016), tanh form.
    case gelu
    /// Inverted dropout with this drop rate during training; the identity at inference.
    case dropout(Double)

    public init(from decoder: Decoder) throws {
        if let word = try? decoder.singleValueContainer().decode(String.self) {
            switch word {
            case "relu": self = .relu
            case "tanh": self = .tanh
            case "sigmoid": self = .sigmoid
            case "gelu": self = .gelu
            default:
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath,
                    debugDescription: "unknown layer '\(word)'; known: dense: N, dense: output, relu, tanh, sigmoid, gelu, dropout: RATE"))
            }
            return
        }
        try rejectUnknownKeys(in: decoder, known: ["dense", "dropout"], context: "layer")
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "a layer is one of: dense: N, dropout: RATE, or a bare activation name"))
        }
        if container.contains(.dense) {
            if let units = try? container.decode(Int.self, forKey: .dense) {
                self = .dense(.fixed(units))
            } else if try container.decode(String.self, forKey: .dense) == "output" {
                self = .dense(.output)
            } else {
                throw DecodingError.dataCorruptedError(
                    forKey: .dense, in: container, debugDescription: "dense takes a number of units or 'output'")
            }
        } else {
            self = .dropout(try container.decode(Double.self, forKey: .dropout))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .dense(let units):
            var container = encoder.container(keyedBy: Key.self)
            switch units {
            case .fixed(let n): try container.encode(n, forKey: .dense)
            case .output: try container.encode("output", forKey: .dense)
            }
        case .dropout(let rate):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(rate, forKey: .dropout)
        case .relu, .tanh, .sigmoid, .gelu:
            var container = encoder.singleValueContainer()
            try container.encode(yaml)
        }
    }

    private enum Key: String, CodingKey { case dense, dropout }

    /// The layer as it is written in a YAML definition.
    public var yaml: String {
        switch self {
        case .dense(.fixed(let n)): return "dense: \(n)"
        case .dense(.output): return "dense: output"
        case .relu: return "relu"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .gelu: return "gelu"
        case .dropout(let rate): return "dropout: \(rate)"
        }
    }
}
