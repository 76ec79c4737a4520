import Foundation

/// The Poisson-subsampled Gaussian mechanism ("Sampled Gaussian Mechanism", SGM): each
/// record (or site) joins a step's batch independently with probability q, the batch's
/// clipped contributions are summed, and Gaussian noise of standard deviation σ·C is
/// added, C being the L2 clip bound — so σ is the *noise multiplier*, noise std divided by
/// L2 sensitivity.
///
/// Neighbouring datasets differ by **adding or removing one** record (one site, for
/// DP-FedAvg), the relation under which Poisson subsampling is analysed and the one the
/// reference values (Google's `dp-accounting`) use.
///
/// Its Rényi-DP at order α (Mironov, Talwar, Zhang, "Rényi Differential Privacy of the
/// Sampled Gaussian Mechanism", arXiv:1908.10530, 2019, Section 3, Theorems 4–5) is
///
///     ε(α) = log(A_α) / (α − 1),   A_α = E_{z∼μ₀}[(μ(z)/μ₀(z))^α],
///     μ₀ = N(0, σ²),  μ₁ = N(1, σ²),  μ = (1 − q)μ₀ + q μ₁,
///
/// A_α being the larger of the two directions' moments (their B_α ≤ A_α). This type
/// computes it exactly:
/// - q = 1 (no subsampling): α/(2σ²), the Gaussian mechanism (Mironov, "Rényi
///   Differential Privacy", CSF 2017, Proposition 7);
/// - q = 0: 0;
/// - integer α ≥ 2: the finite binomial sum of Mironov–Talwar–Zhang Section 3.3
///   (`SubsampledGaussian+IntegerOrders.swift`);
/// - fractional α > 1: the defining integral by adaptive Gauss–Kronrod quadrature
///   (`SubsampledGaussian+FractionalOrders.swift`), not the upper-bounding series of
///   `dp-accounting`, which also fails to converge for q ≥ 0.1 at α < 2.
///
/// The value is validated on construction and on decoding, so every instance is usable.
public struct SubsampledGaussian: Sendable, Hashable, Codable, CustomStringConvertible {
    /// q: the probability that any one record (or site) takes part in a step, in [0, 1].
    public let samplingRate: Double
    /// σ: noise standard deviation divided by the L2 sensitivity (the clip bound), > 0.
    public let noiseMultiplier: Double

    /// A mechanism with sampling rate q ∈ [0, 1] and noise multiplier σ > 0.
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` naming the parameter at fault.
    public init(samplingRate: Double, noiseMultiplier: Double) throws(PrivacyError) {
        guard samplingRate >= 0, samplingRate <= 1 else {
            throw PrivacyError(.invalidParameter, "sampling rate q must be in [0, 1], got \(samplingRate)")
        }
        guard noiseMultiplier > 0, noiseMultiplier.isFinite else {
            throw PrivacyError(
                .invalidParameter, "noise multiplier σ must be finite and > 0, got \(noiseMultiplier)")
        }
        self.samplingRate = samplingRate
        self.noiseMultiplier = noiseMultiplier
    }

    /// The Gaussian mechanism without subsampling (q = 1).
    public static func gaussian(noiseMultiplier: Double) throws(PrivacyError) -> SubsampledGaussian {
        try SubsampledGaussian(samplingRate: 1, noiseMultiplier: noiseMultiplier)
    }

    /// Per-step Rényi-DP ε(α) at one order α > 1 (see the type's documentation).
    ///
    /// Accurate to about 1e-12 relative for the orders and parameters of practice (the
    /// quadrature's tolerance; the integer sum is at rounding level). May be `+infinity`
    /// when A_α overflows even in logarithms (σ tiny against α).
    ///
    /// - Precondition: α is finite and > 1 (validate user-supplied orders with
    ///   `RDPCurve.validate(orders:)`, or use `rdp(orders:)`, which throws).
    public func rdp(order alpha: Double) -> Double {
        precondition(alpha > 1 && alpha.isFinite, "RDP order must be finite and > 1, got \(alpha)")
        let q = samplingRate
        let sigma = noiseMultiplier
        if q == 0 { return 0 }
        if q == 1 {
            // Mironov 2017, Proposition 7: the Gaussian mechanism with sensitivity 1 and
            // noise N(0, σ²) is (α, α/(2σ²))-RDP.
            return alpha / (2 * sigma * sigma)
        }
        let value: Double
        if alpha == alpha.rounded(), alpha <= Self.largestSummedOrder {
            value = integerOrderRDP(Int(alpha))
        } else {
            value = fractionalOrderRDP(alpha)
        }
        // A failed computation must never read as a small ε: no guarantee instead.
        return value.isNaN ? .infinity : value
    }

    /// Integer orders up to this use the finite sum (α − 1 terms); larger ones, which no
    /// accountant needs, the integral.
    static let largestSummedOrder = 100_000.0

    /// Per-step RDP at each of `orders`.
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` if `orders` is empty or an order is
    ///   not finite and > 1.
    public func rdp(orders: [Double]) throws(PrivacyError) -> RDPCurve {
        try RDPCurve.validate(orders: orders)
        return rdp(validatedOrders: orders)
    }

    /// Per-step RDP at orders already validated by `RDPCurve.validate(orders:)`.
    func rdp(validatedOrders orders: [Double]) -> RDPCurve {
        RDPCurve(validatedOrders: orders, values: orders.map { rdp(order: $0) })
    }

    /// "q = 0.01, σ = 1.1".
    public var description: String { "q = \(samplingRate), σ = \(noiseMultiplier)" }

    private enum CodingKeys: String, CodingKey {
        case samplingRate
        case noiseMultiplier
    }

    /// Decodes `{"samplingRate": q, "noiseMultiplier": σ}` and validates both.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let q = try container.decode(Double.self, forKey: .samplingRate)
        let sigma = try container.decode(Double.self, forKey: .noiseMultiplier)
        do {
            try self.init(samplingRate: q, noiseMultiplier: sigma)
        } catch {
            let key: CodingKeys = (0...1).contains(q) ? .noiseMultiplier : .samplingRate
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: error.message)
        }
    }

    /// Encodes `{"samplingRate": q, "noiseMultiplier": σ}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(samplingRate, forKey: .samplingRate)
        try container.encode(noiseMultiplier, forKey: .noiseMultiplier)
    }
}
