import Foundation

/// An (ε, δ)-differential-privacy guarantee, as the accountant reports it: the mechanism
/// (or composition) is (ε, δ)-DP for add-or-remove-one neighbours, `order` being the Rényi
/// order at which the RDP → (ε, δ) conversion attained ε.
public struct PrivacyGuarantee: Sendable, Hashable, Codable, CustomStringConvertible {
    /// ε ≥ 0 (possibly +infinity: no guarantee).
    public var epsilon: Double
    /// δ ∈ (0, 1).
    public var delta: Double
    /// The RDP order α that attained ε.
    public var order: Double

    /// A guarantee with the given parts (no validation: this is a report, not a setting).
    public init(epsilon: Double, delta: Double, order: Double) {
        self.epsilon = epsilon
        self.delta = delta
        self.order = order
    }

    /// Whether this guarantee is within `budget`: the same δ and ε ≤ the budget's ε.
    public func isWithin(_ budget: PrivacyBudget) -> Bool {
        delta == budget.delta && epsilon <= budget.epsilon
    }

    /// "ε = 2.31, δ = 1e-5".
    public var description: String {
        "ε = \(Self.format(epsilon: epsilon)), δ = \(Self.format(delta: delta))"
    }

    /// ε with two decimals ("2.31"), three significant digits below 0.1 ("0.00804"),
    /// or "∞".
    static func format(epsilon: Double) -> String {
        if epsilon.isInfinite { return "∞" }
        if epsilon != 0 && epsilon < 0.1 { return String(format: "%.3g", epsilon) }
        return String(format: "%.2f", epsilon)
    }

    /// δ the way people write it: "1e-5" for a power of ten, else "%g" ("2.5e-06" → "2.5e-6").
    static func format(delta: Double) -> String {
        let text = String(format: "%g", delta)
        guard let e = text.firstIndex(of: "e") else { return text }
        let mantissa = text[..<e]
        var exponent = text[text.index(after: e)...]
        var sign = ""
        if exponent.first == "-" || exponent.first == "+" {
            if exponent.first == "-" { sign = "-" }
            exponent = exponent.dropFirst()
        }
        while exponent.count > 1 && exponent.first == "0" { exponent = exponent.dropFirst() }
        return "\(mantissa)e\(sign)\(exponent)"
    }
}
