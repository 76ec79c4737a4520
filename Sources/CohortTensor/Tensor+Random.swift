import Foundation

extension Tensor {
    /// A tensor of independent draws from the uniform distribution on [`lower`, `upper`).
    @inlinable
    public static func randomUniform<G: RandomNumberGenerator>(
        _ shape: [Int], in range: Range<Scalar> = 0..<1, using generator: inout G
    ) -> Tensor {
        let count = elementCount(of: shape)
        var scalars = [Scalar]()
        scalars.reserveCapacity(count)
        for _ in 0..<count { scalars.append(Scalar.random(in: range, using: &generator)) }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// A tensor of independent draws from the normal distribution N(`mean`, `standardDeviation`²).
    ///
    /// Box–Muller transform (Box and Muller, "A Note on the Generation of Random Normal
    /// Deviates", Ann. Math. Statist. 1958): two uniforms u₁ ∈ (0, 1], u₂ ∈ [0, 1) give
    /// √(−2 ln u₁)·cos(2πu₂) and √(−2 ln u₁)·sin(2πu₂), independent standard normals.
    /// Computed in Double so the tails are right for Float too.
    @inlinable
    public static func randomNormal<G: RandomNumberGenerator>(
        _ shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1, using generator: inout G
    ) -> Tensor {
        let count = elementCount(of: shape)
        var scalars = [Scalar]()
        scalars.reserveCapacity(count + 1)
        while scalars.count < count {
            let u1 = 1.0 - Double.random(in: 0..<1, using: &generator)
            let u2 = Double.random(in: 0..<1, using: &generator)
            let radius = (-2.0 * Foundation.log(u1)).squareRoot()
            let angle = 2.0 * Double.pi * u2
            scalars.append(mean + standardDeviation * Scalar(radius * cos(angle)))
            scalars.append(mean + standardDeviation * Scalar(radius * sin(angle)))
        }
        scalars.removeLast(scalars.count - count)
        return Tensor(shape: shape, scalars: scalars)
    }
}
