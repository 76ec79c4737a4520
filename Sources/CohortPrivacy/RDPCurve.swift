import Foundation

/// Rényi-DP guarantees ε(α) of one mechanism or composition, at a fixed list of orders α.
///
/// Curves over the same orders compose by adding order by order (Mironov, "Rényi
/// Differential Privacy", CSF 2017, Proposition 1): running mechanisms with curves ε₁ and
/// ε₂ in sequence, even adaptively, is (α, ε₁(α) + ε₂(α))-RDP. `epsilon(delta:)` converts
/// to an (ε, δ)-DP guarantee, minimising over the orders.
///
/// JSON has no infinity: to encode a curve with +infinity values, give the encoder a
/// `nonConformingFloatEncodingStrategy`.
public struct RDPCurve: Sendable, Hashable, Codable {
    /// The orders α, each finite and > 1.
    public let orders: [Double]
    /// ε(α) at each order, each ≥ 0 (or +infinity where the mechanism has no guarantee).
    public let values: [Double]

    /// The orders `dp-accounting`'s `RdpAccountant` uses by default, and so the reference
    /// values: 1 + x/10 for x = 1…99, then 11…63, then 128, 256, 512, 1024.
    ///
    /// Fractional orders are computed exactly here (see `SubsampledGaussian`), so with the
    /// same orders this accountant reports the same or a slightly smaller ε than the library.
    public static let defaultOrders: [Double] = {
        let fractional: [Double] = (1...99).map { (x: Int) -> Double in 1 + Double(x) / 10 }
        let integer: [Double] = (11...63).map { (x: Int) -> Double in Double(x) }
        let large: [Double] = [128, 256, 512, 1024]
        return fractional + integer + large
    }()

    /// A curve from parallel lists of orders and values.
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` if the lists are empty or of different
    ///   lengths, an order is not finite and > 1, or a value is negative or NaN.
    public init(orders: [Double], values: [Double]) throws(PrivacyError) {
        try Self.validate(orders: orders)
        guard values.count == orders.count else {
            throw PrivacyError(
                .invalidParameter, "an RDP curve needs one value per order: \(orders.count) orders, \(values.count) values")
        }
        if let bad = values.firstIndex(where: { !($0 >= 0) }) {
            throw PrivacyError(
                .invalidParameter, "RDP value at order \(orders[bad]) must be ≥ 0, got \(values[bad])")
        }
        self.init(validatedOrders: orders, values: values)
    }

    /// The curve of "no privacy spent yet": 0 at every order.
    public static func zero(orders: [Double] = defaultOrders) throws(PrivacyError) -> RDPCurve {
        try validate(orders: orders)
        return RDPCurve(validatedOrders: orders, values: [Double](repeating: 0, count: orders.count))
    }

    /// Checks that `orders` is non-empty with every order finite and > 1.
    public static func validate(orders: [Double]) throws(PrivacyError) {
        guard !orders.isEmpty else {
            throw PrivacyError(.invalidParameter, "an RDP curve needs at least one order")
        }
        if let bad = orders.first(where: { !($0 > 1 && $0.isFinite) }) {
            throw PrivacyError(.invalidParameter, "RDP orders must be finite and > 1, got \(bad)")
        }
    }

    /// For callers that have validated the orders; NaN values (a failed computation) are
    /// stored as +infinity, i.e. "no guarantee at this order", never as a small number.
    init(validatedOrders orders: [Double], values: [Double]) {
        precondition(orders.count == values.count, "RDP curve: \(orders.count) orders but \(values.count) values")
        self.orders = orders
        self.values = values.map { $0.isNaN ? .infinity : $0 }
    }

    /// The value at `order`, if the curve has that order.
    public func value(at order: Double) -> Double? {
        orders.firstIndex(of: order).map { values[$0] }
    }

    /// This curve composed with itself `steps` times: each value times `steps`
    /// (Mironov 2017, Proposition 1). Zero steps give the zero curve.
    public func repeated(_ steps: Int) -> RDPCurve {
        precondition(steps >= 0, "number of steps must be ≥ 0, got \(steps)")
        if steps == 0 {
            return RDPCurve(validatedOrders: orders, values: [Double](repeating: 0, count: orders.count))
        }
        return RDPCurve(validatedOrders: orders, values: values.map { $0 * Double(steps) })
    }

    /// The composition of two curves over the same orders: values add order by order
    /// (Mironov 2017, Proposition 1).
    ///
    /// - Throws: `PrivacyError.Code.mismatchedOrders` if the orders differ.
    public func composed(with other: RDPCurve) throws(PrivacyError) -> RDPCurve {
        guard orders == other.orders else {
            throw PrivacyError(
                .mismatchedOrders,
                "cannot compose RDP curves over different orders (\(orders.count) vs \(other.orders.count) orders)")
        }
        return RDPCurve(validatedOrders: orders, values: zip(values, other.values).map { $0 + $1 })
    }

    /// The (ε, δ)-DP guarantee implied by this curve at `delta` ∈ (0, 1), and the order that
    /// attains it. For each order (Canonne, Kamath, Steinke, "The Discrete Gaussian for
    /// Differential Privacy", NeurIPS 2020, arXiv:2004.00010, Proposition 12):
    ///
    ///     ε = RDP(α) + log(1 − 1/α) − (log δ + log α)/(α − 1),
    ///
    /// except that an order whose RDP is so small that δ ≥ √(1 − e^(−RDP(α))) gives ε = 0:
    /// (0, δ)-DP holds with δ the total variation distance, which is at most √(1 − e^(−KL))
    /// (Bretagnolle, Huber, Z. Wahrscheinlichkeitstheorie verw. Gebiete 47, 1979; the form
    /// used is the one stated in Canonne, arXiv:2202.07198, 2022), and KL ≤ RDP(α) for α > 1 because Rényi divergence grows with its order (van Erven,
    /// Harremoës, "Rényi Divergence and Kullback–Leibler Divergence", IEEE Trans. Inf.
    /// Theory 2014, Theorem 3); `dp-accounting` applies the same rule. The minimum over the
    /// orders is floored at 0. If every order is +infinity, ε is +infinity.
    public func epsilon(delta: Double) -> PrivacyGuarantee {
        precondition(delta > 0 && delta < 1, "δ must be in (0, 1), got \(delta)")
        let logDelta = log(delta)
        var best = Double.infinity
        var bestOrder = orders[0]
        for (alpha, rdp) in zip(orders, values) {
            let epsilon: Double
            if !rdp.isFinite {
                continue
            } else if delta * delta + expm1(-rdp) > 0 {
                epsilon = 0
            } else {
                epsilon = rdp + log1p(-1 / alpha) - (logDelta + log(alpha)) / (alpha - 1)
            }
            if epsilon < best {
                best = epsilon
                bestOrder = alpha
            }
        }
        return PrivacyGuarantee(epsilon: max(0, best), delta: delta, order: bestOrder)
    }

    private enum CodingKeys: String, CodingKey {
        case orders
        case values
    }

    /// Decodes `{"orders": […], "values": […]}` and validates it like `init(orders:values:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let orders = try container.decode([Double].self, forKey: .orders)
        let values = try container.decode([Double].self, forKey: .values)
        do {
            try self.init(orders: orders, values: values)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .values, in: container, debugDescription: error.message)
        }
    }
}
