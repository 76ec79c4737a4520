/// A privacy budget: the largest ε allowed at a fixed δ. A run (or a site) must stop
/// before any charge would take its ε past `epsilon` at `delta`.
public struct PrivacyBudget: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The most ε that may be spent, > 0.
    public let epsilon: Double
    /// The δ at which ε is measured, in (0, 1).
    public let delta: Double

    /// A budget of `epsilon` > 0 at `delta` ∈ (0, 1).
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` naming the parameter at fault.
    public init(epsilon: Double, delta: Double) throws(PrivacyError) {
        guard epsilon > 0, epsilon.isFinite else {
            throw PrivacyError(.invalidParameter, "budget ε must be finite and > 0, got \(epsilon)")
        }
        guard delta > 0, delta < 1 else {
            throw PrivacyError(.invalidParameter, "budget δ must be in (0, 1), got \(delta)")
        }
        self.epsilon = epsilon
        self.delta = delta
    }

    /// "ε ≤ 3.00 at δ = 1e-5".
    public var description: String {
        "ε ≤ \(PrivacyGuarantee.format(epsilon: epsilon)) at δ = \(PrivacyGuarantee.format(delta: delta))"
    }

    private enum CodingKeys: String, CodingKey {
        case epsilon
        case delta
    }

    /// Decodes `{"epsilon": ε, "delta": δ}` and validates both.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let epsilon = try container.decode(Double.self, forKey: .epsilon)
        let delta = try container.decode(Double.self, forKey: .delta)
        do {
            try self.init(epsilon: epsilon, delta: delta)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .epsilon, in: container, debugDescription: error.message)
        }
    }
}
