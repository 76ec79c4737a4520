import Foundation

/// An element-wise nonlinearity, with its derivative for the backward pass.
public enum Activation: String, Sendable, Equatable, Codable, CustomStringConvertible {
    case relu, tanh, sigmoid, gelu

    public var description: String { rawValue }

    /// √(2/π), the constant of GELU's tanh approximation.
    static let geluScale: Float = 0.797_884_56
    /// The cubic coefficient of GELU's tanh approximation.
    static let geluCubic: Float = 0.044_715

    /// y = f(x) for every element.
    ///
    /// GELU uses the tanh approximation of Hendrycks and Gimpel, "Gaussian Error Linear
    /// Units (GELUs)", 2016, eq. (2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    func forward(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        switch self {
        case .relu:
            for i in 0..<x.count { y[i] = Swift.max(x[i], 0) }
        case .tanh:
            for i in 0..<x.count { y[i] = Foundation.tanh(x[i]) }
        case .sigmoid:
            for i in 0..<x.count { y[i] = Activation.sigmoid(x[i]) }
        case .gelu:
            for i in 0..<x.count {
                let v = x[i]
                y[i] = 0.5 * v * (1 + Foundation.tanh(Activation.geluScale * (v + Activation.geluCubic * v * v * v)))
            }
        }
    }

    /// dx = dy ⊙ f′(x), from the layer's input x and output y.
    ///
    /// relu′ = [x > 0]; tanh′ = 1 − y²; sigmoid′ = y(1 − y); GELU′ with t = tanh(u),
    /// u = √(2/π)(x + 0.044715x³): 0.5(1 + t) + 0.5·x·(1 − t²)·√(2/π)(1 + 3·0.044715x²).
    func backward(
        input x: UnsafeBufferPointer<Float>, output y: UnsafeBufferPointer<Float>,
        outputGradient dy: UnsafeBufferPointer<Float>, into dx: UnsafeMutableBufferPointer<Float>
    ) {
        switch self {
        case .relu:
            VectorKernels.reluBackward(input: x, outputGradient: dy, into: dx)
        case .tanh:
            for i in 0..<x.count { dx[i] = dy[i] * (1 - y[i] * y[i]) }
        case .sigmoid:
            for i in 0..<x.count { dx[i] = dy[i] * y[i] * (1 - y[i]) }
        case .gelu:
            for i in 0..<x.count {
                let v = x[i]
                let t = Foundation.tanh(Activation.geluScale * (v + Activation.geluCubic * v * v * v))
                let derivative = 0.5 * (1 + t)
                    + 0.5 * v * (1 - t * t) * Activation.geluScale * (1 + 3 * Activation.geluCubic * v * v)
                dx[i] = dy[i] * derivative
            }
        }
    }

    /// 1 / (1 + e⁻ˣ), computed without overflow for large |x|.
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }
}
