import Foundation

/// The Gamma(α, 1) distribution, sampled by the method of Marsaglia and Tsang ("A Simple
/// Method for Generating Gamma Variables", ACM TOMS 26(3), 2000).
///
/// For α ≥ 1, with d = α − 1/3 and c = 1/√(9d), draw x ~ N(0, 1) and u ~ U(0, 1), set
/// v = (1 + c·x)³ and accept d·v when v > 0 and either
///
///     u < 1 − 0.0331·x⁴            (the quick squeeze), or
///     ln u < x²/2 + d·(1 − v + ln v);
///
/// otherwise draw again; only a few per cent of draws are rejected for any α ≥ 1.
///
/// For α < 1 the paper's boost applies: if g ~ Gamma(α + 1) and u ~ U(0, 1) then
/// g·u^(1/α) ~ Gamma(α). For small α that product underflows to 0 (u^(1/α) with α = 0.01
/// is below 10⁻³⁰⁸ for u < e⁻⁷), so `logSample(using:)` returns ln g + (ln u)/α instead,
/// which `DirichletDistribution` normalises without ever forming the tiny draws.
///
/// Normals come from the Box–Muller transform and uniforms from the top 53 bits of the
/// generator's words, written out here so that a seed gives the same draws whatever the
/// standard library's own `random(in:)` does.
public struct GammaDistribution: Sendable, Hashable {
    /// The shape α > 0 (the scale is 1): the mean and the variance are both α.
    public let shape: Double

    /// Gamma(`shape`, 1); the shape must be finite and greater than 0.
    public init(shape: Double) {
        precondition(shape > 0 && shape.isFinite, "the Gamma shape must be finite and > 0, got \(shape)")
        self.shape = shape
    }

    /// One draw.
    public func sample(using generator: inout some RandomNumberGenerator) -> Double {
        if shape >= 1 { return Self.marsagliaTsang(shape, using: &generator) }
        return Foundation.exp(logSample(using: &generator))
    }

    /// The natural logarithm of one draw, finite even when the draw itself would underflow
    /// (α well below 1).
    public func logSample(using generator: inout some RandomNumberGenerator) -> Double {
        if shape >= 1 { return Foundation.log(Self.marsagliaTsang(shape, using: &generator)) }
        let boosted = Self.marsagliaTsang(shape + 1, using: &generator)
        let uniform = generator.nextOpenUnitInterval()
        return Foundation.log(boosted) + Foundation.log(uniform) / shape
    }

    /// Marsaglia and Tsang's rejection sampler for α ≥ 1.
    static func marsagliaTsang(_ alpha: Double, using generator: inout some RandomNumberGenerator) -> Double {
        let d = alpha - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            let x = generator.nextStandardNormal()
            var v = 1 + c * x
            if v <= 0 { continue }
            v = v * v * v
            let u = generator.nextOpenUnitInterval()
            let xSquared = x * x
            if u < 1 - 0.0331 * xSquared * xSquared { return d * v }
            if Foundation.log(u) < 0.5 * xSquared + d * (1 - v + Foundation.log(v)) { return d * v }
        }
    }
}

extension RandomNumberGenerator {
    /// A uniform draw from the open interval (0, 1): the top 53 bits, offset by half a step,
    /// so neither 0 nor 1 can come out (both would break a logarithm).
    mutating func nextOpenUnitInterval() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1p-53
    }

    /// A standard normal draw by the Box–Muller transform (Box and Muller, Ann. Math.
    /// Statist. 1958): √(−2 ln u₁)·cos(2πu₂) for independent uniforms u₁, u₂ in (0, 1).
    mutating func nextStandardNormal() -> Double {
        let radius = (-2 * Foundation.log(nextOpenUnitInterval())).squareRoot()
        return radius * Foundation.cos(2 * Double.pi * nextOpenUnitInterval())
    }
}
