/// The Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism: ε for given
/// settings, the noise for a target ε (`RDPAccountant+Calibration.swift`), and how many
/// steps a budget affords.
///
/// It tracks RDP at a fixed list of orders (by default the ones `dp-accounting` uses),
/// composes by adding per order (Mironov, "Rényi Differential Privacy", CSF 2017,
/// Proposition 1) and converts to (ε, δ) with Canonne, Kamath, Steinke 2020
/// (arXiv:2004.00010), Proposition 12 (`RDPCurve.epsilon(delta:)`). Neighbouring datasets
/// differ by adding or removing one record (or one site).
///
/// ```swift
/// let accountant = RDPAccountant()
/// let sgm = try SubsampledGaussian(samplingRate: 0.01, noiseMultiplier: 1.0)
/// accountant.epsilon(of: sgm, steps: 1000, delta: 1e-5)   // ε ≈ 2.10 at α = 7.8
/// ```
public struct RDPAccountant: Sendable, Hashable {
    /// The orders α at which RDP is tracked.
    public let orders: [Double]

    /// An accountant over `RDPCurve.defaultOrders`.
    public init() {
        self.orders = RDPCurve.defaultOrders
    }

    /// An accountant over the given orders (each finite and > 1). More orders, and finer
    /// fractional ones, can only lower ε; they cost one RDP evaluation each.
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` for an empty list or a bad order.
    public init(orders: [Double]) throws(PrivacyError) {
        try RDPCurve.validate(orders: orders)
        self.orders = orders
    }

    /// RDP of `steps` steps of `mechanism`: its per-step curve times `steps`.
    public func rdp(of mechanism: SubsampledGaussian, steps: Int = 1) -> RDPCurve {
        precondition(steps >= 0, "number of steps must be ≥ 0, got \(steps)")
        return mechanism.rdp(validatedOrders: orders).repeated(steps)
    }

    /// The (ε, δ) guarantee after `steps` steps of `mechanism`, at `delta` ∈ (0, 1).
    public func epsilon(of mechanism: SubsampledGaussian, steps: Int, delta: Double) -> PrivacyGuarantee {
        rdp(of: mechanism, steps: steps).epsilon(delta: delta)
    }

    /// The zero curve over this accountant's orders.
    public var zero: RDPCurve {
        RDPCurve(validatedOrders: orders, values: [Double](repeating: 0, count: orders.count))
    }

    /// The largest number of further steps T of `mechanism` such that, on top of `spent`,
    /// ε at the budget's δ stays ≤ the budget's ε; 0 if even the next step would exceed it
    /// (or `spent` already does), `Int.max` if the mechanism spends nothing (q = 0).
    ///
    /// ε is non-decreasing in T, so this is a doubling search followed by bisection over
    /// integers: O(log T) conversions of one precomputed per-step curve.
    ///
    /// - Throws: `PrivacyError.Code.mismatchedOrders` if `spent` uses other orders.
    public func affordableSteps(
        of mechanism: SubsampledGaussian, within budget: PrivacyBudget, after spent: RDPCurve? = nil
    ) throws(PrivacyError) -> Int {
        let base = spent ?? zero
        guard base.orders == orders else {
            throw PrivacyError(.mismatchedOrders, "the spent RDP curve uses other orders than the accountant")
        }
        let perStep = mechanism.rdp(validatedOrders: orders)
        func fits(_ steps: Int) -> Bool {
            let values = zip(base.values, perStep.values).map { $0 + Double(steps) * $1 }
            let total = RDPCurve(validatedOrders: orders, values: values)
            return total.epsilon(delta: budget.delta).epsilon <= budget.epsilon
        }
        guard fits(1) else { return 0 }
        if perStep.values.allSatisfy({ $0 == 0 }) { return Int.max }
        var low = 1  // fits
        var high = 2
        while fits(high) {
            low = high
            if high > Int.max / 4 { return low }
            high *= 2
        }
        // fits(low), !fits(high)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if fits(middle) { low = middle } else { high = middle }
        }
        return low
    }
}
